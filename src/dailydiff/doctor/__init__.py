"""Set-up checks: `dailydiff doctor`."""
