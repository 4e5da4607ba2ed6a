"""Who should review: candidate query, scoring, offers, accept/decline/expiry."""
