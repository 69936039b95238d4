"""placeholder"""
from tui.core.oauth_practice.server import *  # noqa: F403
