"""Where tables come from and go to: files now; databases behind the same seam later."""
