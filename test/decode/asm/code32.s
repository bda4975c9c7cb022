# Decoder test sample (32-bit): assembled by GNU as in asm-samples.test.ts and compared with objdump.
.intel_syntax noprefix
.code32
mov cr3, eax
mov eax, cr4
mov cr0, ebx
ljmp 0x10, 0x100000
lcall 0x08, 0x1000
jmp dword ptr [eax]
lgdt [eax+4]
sysenter
sysexit
iretd
push ss
pop ss
push cs
pusha
popa
inc eax
dec edi
bound eax, [ecx]
les eax, [ebx]
lds esi, [ebp-8]
call eax
call [eax+ebx*2+0x100]
mov eax, [0x12345678]
mov al, ds:[0x1000]
mov fs:[0x10], eax
mov es, ax
mov ax, gs
movs dword ptr es:[edi], dword ptr fs:[esi]
jecxz .+4
loopne .-4
out 0x80, al
wrmsr
xchg [eax], ecx
lock add dword ptr [eax], 1
cmpxchg8b [edi]
fstp st(1)
fild qword ptr [esp]
fistp dword ptr [esp]
fisttp word ptr [eax]
movd mm0, eax
movq mm1, [eax]
paddb mm0, mm1
psrlq mm2, 4
emms
movdqa xmm0, [eax]
pslldq xmm0, 4
pshufd xmm1, xmm2, 0x1b
cmpltps xmm1, xmm2
shufps xmm0, xmm1, 0x44
cvtdq2pd xmm1, xmm2
