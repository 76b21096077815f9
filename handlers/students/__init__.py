"""What students do in their private chat with the bot: onboarding, new cases, their cases,
their personal data, the public board of proposals."""
