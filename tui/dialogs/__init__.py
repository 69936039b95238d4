"""Modal dialogs: one style for every question the wizard asks."""
