"""Semester reviews (述职评议): a panel scores the presidium and department heads in secret."""
