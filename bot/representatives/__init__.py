"""Student representatives and their college: its cases listed and followed (本院诉求, 关注)."""
