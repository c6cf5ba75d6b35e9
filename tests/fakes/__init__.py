"""Fakes of platform APIs, served on loopback for the channel tests."""
