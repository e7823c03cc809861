"""Calibrating Amparo to the reported figures: targets ledger, ABC-PMC fit, validation, sensitivity."""
