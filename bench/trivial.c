/* trivial.fcgi: the floor for make bench. A FastCGI program that reads
 * the body and answers 200 with a short text, under the same web server
 * and settings as webhook.fcgi: what the server and libfcgi cost alone. */
#include <fcgiapp.h>
#include <signal.h>

int main(void)
{
	static const char reply[] = "Status: 200 OK\r\n"
				    "Content-Type: text/plain; charset=utf-8\r\n"
				    "\r\n"
				    "200 OK: trivial\n";
	FCGX_Request r;
	char buf[4096];

	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0 || FCGX_InitRequest(&r, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&r) >= 0) {
		while (FCGX_GetStr(buf, (int)sizeof buf, r.in) > 0)
			;
		FCGX_PutStr(reply, (int)sizeof reply - 1, r.out);
		FCGX_Finish_r(&r);
	}
	return 0;
}
