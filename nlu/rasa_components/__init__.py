"""Custom Rasa Open Source 3.x graph components for jiefen.

This package is imported by Rasa inside `.venv-rasa` (Python 3.10), never by the
main application (Python 3.11). See docs/rasa.md for how it is put on Rasa's path.
"""
