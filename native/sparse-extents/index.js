"use strict";
// Loads the addon built by `node-gyp rebuild` at install. (A named assignment, so that ES
// modules can import { dataExtents } from this CommonJS file.)
const addon = require("./build/Release/sparse_extents.node");
exports.dataExtents = addon.dataExtents;
