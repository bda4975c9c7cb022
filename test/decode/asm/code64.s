# Decoder test sample (64-bit): assembled by GNU as in asm-samples.test.ts and compared with objdump.
.intel_syntax noprefix
.code64
lgdt [rax]
lidt [rip+0x100]
sgdt [rsp+8]
mov cr0, rax
mov rax, cr3
mov cr8, rcx
mov cr4, r9
mov rdx, dr7
mov dr0, rax
wrmsr
rdmsr
rdtsc
rdtscp
cpuid
syscall
sysretd
sysretq
swapgs
iretq
iretd
hlt
invlpg [rdi]
ltr ax
lldt word ptr [rbx]
str eax
sldt rax
smsw eax
lmsw cx
clts
wbinvd
invd
xgetbv
xsetbv
xsave [rsp]
xsaveopt [rsp]
xrstor64 [rdi]
fxsave64 [rax]
fxrstor [rax]
ldmxcsr [rsp-4]
stmxcsr [rsp-4]
lfence
mfence
sfence
clflush [rax]
clflushopt [rax]
clwb [rax]
rdfsbase rax
wrgsbase r11
rdrand eax
rdrand r10
rdseed rcx
rdpid rax
cmpxchg16b [rsi]
lock cmpxchg8b [rsi]
movbe eax, [rdi]
movbe [rdi], rcx
crc32 eax, byte ptr [rsi]
crc32 rax, qword ptr [rsi]
popcnt rax, rbx
tzcnt ecx, edx
lzcnt r8w, r9w
pause
monitor
mwait
stac
clac
rdpkru
wrpkru
push fs
pop gs
lretq
lret 8
call qword ptr [rax]
jmp fword ptr [rbx]
ljmp [rbx]
enter 0x10, 1
leave
int3
int 0x80
int1
ud2
ud1 eax, [rax]
nop word ptr cs:[rax+rax*1+0x0]
endbr64
prefetchnta [rax]
prefetchw [rax]
movsxd rax, dword ptr [rcx]
movabs rax, 0x1122334455667788
movabs al, [0x1122334455667788]
xchg r8, rax
bswap r12
cmpxchg [rdx], ecx
xadd qword ptr [rdx], rax
lock bts dword ptr [rax], 5
shld eax, ebx, 3
shrd rax, rbx, cl
fld tbyte ptr [rax]
fstp qword ptr [rsp]
fnstsw ax
fxch st(3)
fucomip st, st(1)
fcmovnbe st, st(2)
fnstenv [rax]
frstor [rax]
pshufb xmm1, xmm2
pshufb mm1, mm2
palignr xmm1, xmm2, 3
pextrq rax, xmm1, 1
pinsrb xmm1, eax, 3
insertps xmm1, xmm2, 0x10
pcmpistri xmm1, [rax], 0x0c
pmovzxbw xmm1, qword ptr [rax]
ptest xmm1, xmm2
movq2dq xmm1, mm2
maskmovdqu xmm1, xmm2
cvtsi2sd xmm1, rax
cvttss2si r8, xmm1
movmskpd eax, xmm1
lddqu xmm1, [rax]
movntdqa xmm1, [rax]
