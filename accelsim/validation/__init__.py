"""Validation against published silicon and peers: `accelsim validate` regenerates
reports/validation.md from the shipped configs and these published tables."""
