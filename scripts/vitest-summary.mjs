// A vitest reporter that ends the run with one plain line, "N passed, N failed[, N skipped]",
// so CI and humans read the same totals whatever the default reporter prints.
export default class SummaryReporter {
  onFinished(files = []) {
    const count = { passed: 0, failed: 0, skipped: 0 };
    const walk = (task) => {
      if (task.type === "test") {
        const state = task.result?.state;
        if (state === "pass") count.passed++;
        else if (state === "fail") count.failed++;
        else count.skipped++;
      }
      for (const t of task.tasks ?? []) walk(t);
    };
    for (const f of files) walk(f);
    process.stdout.write(`\n${count.passed} passed, ${count.failed} failed, ${count.skipped} skipped\n`);
  }
}
