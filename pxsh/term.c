/* The terminal: raw mode for watch and top (entered and left here only,
 * and left on every exit path: normal return, exit(), and the signals
 * that end the process), keys, the window size, and the pager for long
 * answers. Plain ANSI escapes, no curses.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include "pxsh-t.h"
#include "pxsh.h"

static struct termios saved_tio;
static volatile sig_atomic_t raw_on;
static struct sigaction saved_sa[4];
static const int fatal_sigs[4] = { SIGTERM, SIGHUP, SIGQUIT, SIGINT };

volatile sig_atomic_t px_sh_winch;

/* Leaves the alternate screen, shows the cursor, restores the saved
 * terminal mode. Async-signal-safe: the signal handlers call it too.
 */
static void restore_now(void)
{
	static const char leave[] = "\x1b[0m\x1b[?25h\x1b[?1049l";

	if (!raw_on)
		return;
	raw_on = 0;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
	if (write(STDOUT_FILENO, leave, sizeof(leave) - 1) < 0)
		return;
}

static void on_fatal(int sig)
{
	restore_now();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_winch(int sig)
{
	px_sh_winch = 1;
}

/* Enters raw mode on the alternate screen, cursor hidden. Returns 0, or -1
 * when stdin or stdout is not a terminal.
 */
int px_sh_term_raw(void)
{
	struct sigaction sa = { .sa_handler = on_fatal }, wsa = { .sa_handler = on_winch };
	static int atexit_done;
	struct termios tio;
	int i;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO) || tcgetattr(STDIN_FILENO, &saved_tio) < 0)
		return -1;
	tio = saved_tio;
	/* No echo, byte by byte, and Ctrl-C arrives as a byte (0x03). */
	tio.c_lflag &= ~(tcflag_t)(ECHO | ICANON | ISIG | IEXTEN);
	tio.c_iflag &= ~(tcflag_t)(IXON | ICRNL);
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	for (i = 0; i < 4; i++)
		sigaction(fatal_sigs[i], &sa, &saved_sa[i]);
	sigaction(SIGWINCH, &wsa, NULL);
	raw_on = 1;
	if (!atexit_done++)
		atexit(restore_now);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &tio);
	fputs("\x1b[?1049h\x1b[?25l", stdout);
	fflush(stdout);
	return 0;
}

void px_sh_term_restore(void)
{
	int i;

	fflush(stdout);
	restore_now();
	for (i = 0; i < 4; i++)
		sigaction(fatal_sigs[i], &saved_sa[i], NULL);
	signal(SIGWINCH, SIG_DFL);
}

void px_sh_term_size(int *rows, int *cols)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
		*rows = ws.ws_row;
		*cols = ws.ws_col;
	} else {
		*rows = 24;
		*cols = 80;
	}
}

/* Waits up to <timeout_ms> for a key. Returns the byte, PXSH_KEY_UP or
 * PXSH_KEY_DOWN for arrows, 0 on timeout (or a window resize), -1 at end
 * of input.
 */
int px_sh_term_key(int timeout_ms)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	unsigned char c, seq[2];
	int n;

	n = poll(&pfd, 1, timeout_ms);
	if (n <= 0)
		return 0;
	if (read(STDIN_FILENO, &c, 1) != 1)
		return -1;
	if (c != 0x1b)
		return c;
	/* An arrow is ESC [ A or ESC O A; a lone ESC is just ESC. */
	if (poll(&pfd, 1, 50) <= 0 || read(STDIN_FILENO, &seq[0], 1) != 1)
		return 0x1b;
	if ((seq[0] != '[' && seq[0] != 'O') || poll(&pfd, 1, 50) <= 0 ||
	    read(STDIN_FILENO, &seq[1], 1) != 1)
		return 0x1b;
	if (seq[1] == 'A')
		return PXSH_KEY_UP;
	if (seq[1] == 'B')
		return PXSH_KEY_DOWN;
	return 0x1b;
}

/* Prints <text> on stdout, through $PAGER (default "less -FRX") when
 * <may_page> and it is taller than the terminal.
 */
void px_sh_page(const char *text, size_t len, int may_page)
{
	const char *pager = getenv("PAGER");
	int rows, cols, lines = 0;
	size_t i;
	FILE *p;

	if (may_page && isatty(STDOUT_FILENO)) {
		px_sh_term_size(&rows, &cols);
		for (i = 0; i < len; i++)
			lines += text[i] == '\n';
		if (lines >= rows - 1) {
			if (!pager || !*pager)
				pager = "less -FRX";
			fflush(stdout);
			p = popen(pager, "w");
			if (p) {
				fwrite(text, 1, len, p);
				pclose(p);
				return;
			}
		}
	}
	fwrite(text, 1, len, stdout);
	fflush(stdout);
}
