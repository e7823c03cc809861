"""Calibrating Amparo to the reported figures: targets ledger, priors, the fit (ABC on a reference
table), coverage, validation, hindcast and sensitivity."""
