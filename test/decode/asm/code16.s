# Decoder test sample (16-bit): assembled by GNU as in asm-samples.test.ts and compared with objdump.
.intel_syntax noprefix
.code16
cli
xor ax, ax
mov ds, ax
mov ss, ax
mov sp, 0x7c00
lgdt [bx+si+0x10]
lidt [0x500]
mov eax, cr0
or eax, 1
mov cr0, eax
ljmp 0x08, 0x1000
ljmp 0x1234, 0x5678
lcall 0x10, 0x20
jmp .+2
jc .+0x100
call .+0x10
loop .-2
jcxz .+4
int 0x10
in al, 0x60
out dx, al
in eax, dx
rep movsb
rep stosd
repne scasb
push 0x1234
push es
pop ds
pushf
popfd
pusha
popad
mov al, [bp+di+4]
mov [bx], word ptr 0x55aa
les di, [bx]
lds si, [bp+2]
lss sp, [0x400]
bound ax, [bx]
arpl [bx], ax
aam 10
aad 10
daa
das
aaa
aas
xlat
cwd
cbw
cwde
into
iret
retf
lret 4
enter 4, 0
leave
mov eax, [ebx+ecx*4+8]
lea eax, [esp+eax]
movzx eax, byte ptr [si]
fninit
fldcw [bx]
hlt
