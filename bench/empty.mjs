// An empty ES module: the bench times the main entry's cold import over this one's.
