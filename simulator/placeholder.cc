namespace claimmap::sim {}
