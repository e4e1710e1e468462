"""The site shell: the URL map and the pages that combine apps (the top floor)."""
