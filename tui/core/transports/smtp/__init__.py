"""The staged SMTP send: resolve, connect, TLS, greeting, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA."""
