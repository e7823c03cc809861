"""Result folders: written atomically, read back."""
