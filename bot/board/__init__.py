"""The public board on the web: read-only pages of what the union publishes, served by the
bot's own HTTP server (`bot.board.web`), one data-access module per list."""
