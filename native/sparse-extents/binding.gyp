{
  "targets": [
    {
      "target_name": "sparse_extents",
      "sources": ["src/sparse_extents.c"],
      "cflags": ["-O2", "-Wall"]
    }
  ]
}
