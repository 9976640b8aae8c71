// GET /media/:id: images for Twilio (or the user, following a link) to fetch. No body is read.
import type { FastifyInstance } from "fastify";
import type { MediaStore } from "../store/media-store";

export function mediaRoutes(app: FastifyInstance, media: MediaStore): void {
  app.get<{ Params: { id: string } }>("/media/:id", async (request, reply) => {
    const found = await media.get(request.params.id);
    if (!found) return reply.code(404).send({ error: "no such media" });
    return reply.type(found.contentType).header("cache-control", "private, max-age=86400").send(found.data);
  });
}
