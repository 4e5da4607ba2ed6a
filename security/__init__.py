"""Abuse protection that is not about HTTP: IP blocks and the offences that earn them."""
