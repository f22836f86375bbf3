"""Tuban's thin HTTP layer over geo/ and storage/."""
