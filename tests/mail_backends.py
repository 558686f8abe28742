"""E-mail backends for the tests: a mail server that fails, then recovers."""

import smtplib

from django.core.mail.backends.locmem import EmailBackend as LocMemEmailBackend


class FlakyEmailBackend(LocMemEmailBackend):
    """Refuses the next `failures` messages as an SMTP server that hung up would,
    then delivers to `mail.outbox` like the test backend. Set `failures` before use."""

    failures = 0

    def send_messages(self, messages):
        if FlakyEmailBackend.failures > 0:
            FlakyEmailBackend.failures -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)
