"""登录: the only page before signing in (the form is ui/sign_in.py)."""

from ui import sign_in

sign_in.guarded_page()
