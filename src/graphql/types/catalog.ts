// What a client may order: datacenters and operating systems.
import type { Datacenter, OperatingSystem } from "../../domain/kernel/index.ts";
import { builder } from "../builder.ts";

const DatacenterRef = builder.objectRef<Datacenter>("Datacenter").implement({
  fields: (t) => ({
    code: t.exposeString("code", { description: "Short code used in inputs, e.g. dal10." }),
    name: t.exposeString("name"),
  }),
});

const OperatingSystemRef = builder.objectRef<OperatingSystem>("OperatingSystem").implement({
  fields: (t) => ({
    code: t.exposeString("code", { description: "Reference code used in inputs, e.g. UBUNTU_24_04_64." }),
    name: t.exposeString("name"),
    family: t.exposeString("family"),
    minBootGb: t.exposeInt("minBootGb", { description: "Smallest boot volume, in GiB." }),
    flexCapable: t.exposeBoolean("flexCapable", { description: "FLEX image templates can be captured from servers running it, and deployed to bare metal." }),
  }),
});

builder.queryField("datacenters", (t) =>
  t.field({ type: [DatacenterRef], resolve: (_root, _args, ctx) => [...ctx.domain.catalog.datacenters] }),
);

builder.queryField("operatingSystems", (t) =>
  t.field({ type: [OperatingSystemRef], resolve: (_root, _args, ctx) => [...ctx.domain.catalog.operatingSystems] }),
);
