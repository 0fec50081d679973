"""Sweep presets: JSON files read by ganlab.sweep.load_preset."""
