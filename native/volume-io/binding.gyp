{
  "targets": [
    {
      "target_name": "volume_io",
      "sources": ["src/addon.c", "src/errors.c", "src/sparse_extents.c", "src/direct_write.c"],
      "cflags": ["-O2", "-Wall"]
    }
  ]
}
