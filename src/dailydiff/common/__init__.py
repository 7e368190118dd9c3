"""What every stage shares: the text policy, time windows, JSON safety."""
