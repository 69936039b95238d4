"""mailwiz: set up, test and explain outgoing email from a terminal."""
