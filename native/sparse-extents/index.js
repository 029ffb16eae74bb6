"use strict";
// Loads the addon built by `node-gyp rebuild` at install.
module.exports = require("./build/Release/sparse_extents.node");
