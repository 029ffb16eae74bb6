// Runs in every test file's process: the server processes a file started are gone when it
// ends, also when a test failed before killing its own (a leftover kept its port and database).
import { afterAll } from "vitest";
import { killSpawned } from "./child.ts";

afterAll(() => killSpawned());
