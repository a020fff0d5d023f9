/* startup_noop.c - bench-startup-noop: main returns 0; linked static like
 * our workers, so its launch is the kernel's part plus glibc's start-up
 * (bench-startup, startup.c). */
int main(void)
{
	return 0;
}
