"""The sovereign hardening baseline: the control catalogue, and the audit that reads hosts against it."""
