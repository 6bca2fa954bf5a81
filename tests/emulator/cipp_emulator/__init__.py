"""A local CIPP API emulator: a real HTTP server on loopback that speaks the CIPP API contract (see README.md)."""

from .server import EmulatorHandle, make_server, start_emulator
from .state import DEFAULT_AUTH_TENANT_ID, DEFAULT_CLIENTS

__all__ = ['start_emulator', 'make_server', 'EmulatorHandle', 'DEFAULT_CLIENTS', 'DEFAULT_AUTH_TENANT_ID']
