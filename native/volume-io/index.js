"use strict";
// Loads the addon built by `node-gyp rebuild` at install. (Named assignments, so that ES
// modules can import { dataExtents, writeDirect } from this CommonJS file.)
const addon = require("./build/Release/volume_io.node");
exports.dataExtents = addon.dataExtents;
exports.writeDirect = addon.writeDirect;
