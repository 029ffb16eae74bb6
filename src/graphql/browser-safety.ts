// What keeps a browser from being used against the API: a POST must carry a JSON body (a
// form or text/plain POST is what another site can make a browser send without asking, so
// it is refused before it runs: CSRF), and introspection is off where configured.
import { NoSchemaIntrospectionCustomRule } from "graphql";
import type { Plugin } from "graphql-yoga";

const JSON_TYPES = ["application/json", "application/graphql-response+json", "application/graphql+json"];

export function useJsonPostsOnly(): Plugin {
  return {
    onRequest({ request, endResponse, fetchAPI }) {
      if (request.method !== "POST") return;
      const type = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
      if (JSON_TYPES.includes(type)) return;
      endResponse(
        new fetchAPI.Response(
          JSON.stringify({ errors: [{ message: `POST bodies must be application/json (got ${type || "no content type"})`, extensions: { code: "UNSUPPORTED_MEDIA_TYPE" } }] }),
          { status: 415, headers: { "content-type": "application/json" } },
        ),
      );
    },
  };
}

export function useNoIntrospection(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}
