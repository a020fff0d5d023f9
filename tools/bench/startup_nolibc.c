/* startup_nolibc.c - bench-startup-nolibc: a program without libc for
 * bench-startup (startup.c): _start makes the exit system call, so its
 * launch costs the kernel's part alone. x86_64 only (built there only). */
void _start(void);

void _start(void)
{
	__asm__ volatile("mov $60, %eax\n\txor %edi, %edi\n\tsyscall");
	for (;;)
		;
}
