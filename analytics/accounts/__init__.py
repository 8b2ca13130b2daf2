"""Accounts and sessions: passwords, sign-in and lock-out (auth), database-held browser sessions
(sessions). Who may do what is the access policy, analytics/access.py."""
