using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Nestor.ApiServer.Apply;
using Nestor.ApiServer.Http;
using Nestor.ApiServer.Json;
using Nestor.ApiServer.Patching;
using Nestor.ApiServer.Resources;
using Nestor.ApiServer.Storage;
using Nestor.ApiServer.Validation;

namespace Nestor.ApiServer.Registry;

/// <summary>The result of a list: the items of one snapshot, its resource version and the next page's token.</summary>
internal sealed record ListResult(IReadOnlyList<StoredObject> Items, long ResourceVersion, string? Continue, long? RemainingItemCount);

/// <summary>
/// kube-apiserver's generic registry semantics over the <see cref="ObjectStore"/>: create, get, list, update,
/// patch (merge, JSON, strategic, apply), delete with finalizers and propagation, status and scale
/// subresources, resourceVersion preconditions, generation, managedFields, namespaces and CRDs.
/// Every write runs entirely under the store lock.
/// </summary>
internal sealed class ObjectRegistry(ObjectStore store, ResourceCatalog catalog, TimeProvider time, string serviceIpPrefix = "10.96")
{
    public const string OrphanFinalizer = "orphan";
    public const string ForegroundFinalizer = "foregroundDeletion";
    private static readonly GroupResource Namespaces = new("", "namespaces");
    private static readonly GroupResource Crds = new("apiextensions.k8s.io", "customresourcedefinitions");

    public ObjectStore Store => store;

    public ResourceCatalog Catalog => catalog;

    private DateTimeOffset Now => time.GetUtcNow();

    // ---- reads -------------------------------------------------------------------------------------

    public StoredObject Get(ResourceDefinition def, string ns, string name) =>
        store.State.Get(def.GroupResource, Key(def, ns, name)) ?? throw ApiException.NotFound(def, name);

    public async Task<ListResult> ListAsync(ResourceDefinition def, string ns, ListOptions options, CancellationToken cancellationToken)
    {
        options.FieldSelector.Validate(def.SelectableFields.ToHashSet(StringComparer.Ordinal));
        StoreState state;
        string? startAfter = null;
        if (options.Continue is { Length: > 0 } token)
        {
            var (rv, start) = DecodeContinue(token);
            state = store.Snapshot(rv) ?? throw ApiException.Gone(
                "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.");
            startAfter = start;
        }
        else if (options.ResourceVersionMatch == "Exact" && long.TryParse(options.ResourceVersion, CultureInfo.InvariantCulture, out var exact))
        {
            state = store.Snapshot(exact) ?? throw ApiException.Gone($"too old resource version: {exact} ({store.State.ResourceVersion})");
        }
        else
        {
            if (long.TryParse(options.ResourceVersion, CultureInfo.InvariantCulture, out var atLeast) && atLeast > store.State.ResourceVersion)
            {
                var deadline = Now.AddSeconds(3);
                while (store.State.ResourceVersion < atLeast && Now < deadline)
                {
                    await Task.Delay(50, cancellationToken);
                }

                if (store.State.ResourceVersion < atLeast)
                {
                    throw new ApiException(504, "Timeout", $"Too large resource version: {atLeast}, current: {store.State.ResourceVersion}",
                        new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["reason"] = "ResourceVersionTooLarge", ["message"] = "Too large resource version" }), ["retryAfterSeconds"] = 1 });
                }
            }

            state = options.Limit is > 0 ? store.Pin() : store.State;
        }

        var matches = state.Of(def.GroupResource).Values
            .Where(o => (!def.Namespaced || ns.Length == 0 || o.Namespace == ns) && Matches(o, options))
            .Where(o => startAfter is null || o.Key.CompareTo(ObjectKey.Parse(startAfter)) > 0);
        if (options.Limit is not > 0)
        {
            return new ListResult(matches.ToList(), state.ResourceVersion, null, null);
        }

        var all = matches.ToList();
        var page = all.Take(options.Limit.Value).ToList();
        var remaining = all.Count - page.Count;
        return remaining > 0
            ? new ListResult(page, state.ResourceVersion, EncodeContinue(state.ResourceVersion, page[^1].Key.ToString()), remaining)
            : new ListResult(page, state.ResourceVersion, null, null);
    }

    public static bool Matches(StoredObject o, ListOptions options) =>
        options.LabelSelector.Matches(o.Labels) && (options.FieldSelector.IsEmpty || options.FieldSelector.Matches(o.Object));

    private static string EncodeContinue(long rv, string start) =>
        Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["v"] = "meta.k8s.io/v1", ["rv"] = rv, ["start"] = start }));

    private static (long Rv, string Start) DecodeContinue(string token)
    {
        try
        {
            var json = JsonNode.Parse(Convert.FromBase64String(token));
            return ((long?)json?["rv"] ?? throw new FormatException(), (string?)json?["start"] ?? throw new FormatException());
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            throw ApiException.BadRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
        }
    }

    // ---- create ------------------------------------------------------------------------------------

    public (JsonObject Object, bool Committed) Create(ResourceDefinition def, string ns, JsonObject body, WriteOptions options)
    {
        CheckTypeMeta(def, body);
        return store.Write(w => CreateCore(w, def, ns, body, options, managedFieldsDone: false));
    }

    private (JsonObject Object, bool Committed) CreateCore(ObjectStore.StoreWriter w, ResourceDefinition def, string ns, JsonObject obj, WriteOptions options, bool managedFieldsDone)
    {
        var metadata = JsonPaths.Metadata(obj);
        obj["apiVersion"] = def.ApiVersion;
        obj["kind"] = def.Kind;
        SetNamespace(def, ns, metadata);
        if (JsonPaths.GetString(metadata, "resourceVersion") is { Length: > 0 })
        {
            throw ApiException.Internal("resourceVersion should not be set on objects to be created");
        }

        var name = JsonPaths.GetString(metadata, "name");
        if (string.IsNullOrEmpty(name))
        {
            var prefix = JsonPaths.GetString(metadata, "generateName");
            if (string.IsNullOrEmpty(prefix))
            {
                throw ApiException.Invalid(def, "", [FieldError.Required("metadata.name", "name or generateName is required")]);
            }

            do
            {
                name = Names.Generate(prefix);
            }
            while (w.Get(def.GroupResource, Key(def, ns, name)) is not null);
            metadata["name"] = name;
        }

        if (w.Get(def.GroupResource, Key(def, ns, name)) is not null)
        {
            throw ApiException.AlreadyExists(def, name);
        }

        if (def.Namespaced)
        {
            CheckNamespaceActive(w, ns);
        }

        if (def.IsCustom && w.Get(Crds, new ObjectKey("", def.CrdName!)) is { } crd && JsonPaths.GetString(crd.Object, "metadata", "deletionTimestamp") is not null)
        {
            throw ApiException.MethodNotAllowed($"create not allowed while custom resource definition is terminating");
        }

        metadata["uid"] = Guid.NewGuid().ToString();
        metadata["creationTimestamp"] = JsonPaths.Timestamp(Now);
        foreach (var field in new[] { "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink" })
        {
            metadata.Remove(field);
        }

        if (!managedFieldsDone)
        {
            metadata.Remove("managedFields");
        }

        if (def.TracksGeneration)
        {
            metadata["generation"] = 1;
        }
        else
        {
            metadata.Remove("generation");
        }

        var context = Context(w, def, ns);
        def.Strategy.PrepareForCreate(obj, context);
        Admit(def, obj, null, context, options);
        if (!managedFieldsDone)
        {
            FieldManager.RecordUpdate(null, obj, options.Manager, null, def.ApiVersion, def.TypeSchema, FieldScope.All, Now);
        }

        if (def.GroupResource == Crds)
        {
            obj["status"] = CrdStrategy.EstablishedStatus(obj, Now, null);
        }

        if (options.DryRun)
        {
            return (obj, false);
        }

        var stored = w.Put(def.GroupResource, obj);
        AfterWrite(w, def, stored);
        return (stored.Object, true);
    }

    // ---- update ------------------------------------------------------------------------------------

    public JsonObject Update(ResourceDefinition def, string ns, string name, string? subresource, JsonObject body, WriteOptions options)
    {
        CheckTypeMeta(def, body);
        return store.Write(w =>
        {
            var current = w.Get(def.GroupResource, Key(def, ns, name)) ?? throw ApiException.NotFound(def, name);
            if (JsonPaths.GetString(body, "metadata", "resourceVersion") is not { Length: > 0 } && !def.AllowUnconditionalUpdate && subresource is null)
            {
                throw ApiException.Invalid(def, name, [FieldError.Invalid("metadata.resourceVersion", JsonValue.Create("0x0"), "must be specified for an update")]);
            }

            return UpdateCore(w, def, current, body, subresource, options, managedFieldsDone: false);
        });
    }

    private JsonObject UpdateCore(ObjectStore.StoreWriter w, ResourceDefinition def, StoredObject current, JsonObject incoming, string? subresource, WriteOptions options, bool managedFieldsDone)
    {
        var name = current.Name;
        var bodyName = JsonPaths.GetString(incoming, "metadata", "name");
        if (bodyName is not null && bodyName != name)
        {
            throw ApiException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
        }

        var bodyNamespace = JsonPaths.GetString(incoming, "metadata", "namespace");
        if (def.Namespaced && bodyNamespace is { Length: > 0 } && bodyNamespace != current.Namespace)
        {
            throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        if (JsonPaths.GetString(incoming, "metadata", "resourceVersion") is { Length: > 0 } rv &&
            rv != current.ResourceVersion.ToString(CultureInfo.InvariantCulture))
        {
            throw ApiException.StaleResourceVersion(def, name);
        }

        if (JsonPaths.GetString(incoming, "metadata", "uid") is { Length: > 0 } uid && uid != current.Uid)
        {
            throw ApiException.Conflict(def, name, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {current.Uid}");
        }

        var old = current.Object;
        JsonObject obj;
        if (subresource == "status")
        {
            obj = current.Clone();
            if (incoming["status"] is { } status)
            {
                obj["status"] = status.DeepClone();
            }
            else
            {
                obj.Remove("status");
            }

            if (managedFieldsDone)
            {
                JsonPaths.Metadata(obj)["managedFields"] = JsonPaths.Get(incoming, "metadata", "managedFields")?.DeepClone();
            }
        }
        else
        {
            obj = (JsonObject)incoming.DeepClone();
            obj["apiVersion"] = def.ApiVersion;
            obj["kind"] = def.Kind;
            if (def.HasStatus)
            {
                if (old["status"] is { } status)
                {
                    obj["status"] = status.DeepClone();
                }
                else
                {
                    obj.Remove("status");
                }
            }
        }

        var metadata = JsonPaths.Metadata(obj);
        var oldMetadata = JsonPaths.Metadata((JsonObject)old.DeepClone());
        foreach (var field in new[] { "name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation" })
        {
            if (oldMetadata[field] is { } value)
            {
                metadata[field] = value.DeepClone();
            }
            else
            {
                metadata.Remove(field);
            }
        }

        if (!managedFieldsDone)
        {
            metadata["managedFields"] = oldMetadata["managedFields"]?.DeepClone();
            if (metadata["managedFields"] is null)
            {
                metadata.Remove("managedFields");
            }
        }

        metadata["resourceVersion"] = current.ResourceVersion.ToString(CultureInfo.InvariantCulture);
        if (JsonPaths.GetString(old, "metadata", "deletionTimestamp") is not null)
        {
            var before = JsonPaths.Strings(JsonPaths.Get(old, "metadata", "finalizers")).ToHashSet(StringComparer.Ordinal);
            var added = JsonPaths.Strings(metadata["finalizers"]).Where(f => !before.Contains(f)).ToList();
            if (added.Count > 0)
            {
                throw ApiException.Invalid(def, name, [FieldError.Forbidden("metadata.finalizers", $"no new finalizers can be added if the object is being deleted, found new finalizers []string{{\"{string.Join("\", \"", added)}\"}}")]);
            }
        }

        var context = Context(w, def, current.Namespace);
        Admit(def, obj, old, context, options);

        if (def.TracksGeneration)
        {
            var ignore = def.HasStatus ? new[] { "metadata", "status", "apiVersion", "kind" } : ["metadata", "apiVersion", "kind"];
            if (!JsonNode.DeepEquals(JsonPaths.Without(obj, ignore), JsonPaths.Without(old, ignore)))
            {
                metadata["generation"] = (JsonPaths.GetInt64(old, "metadata", "generation") ?? 0) + 1;
            }
        }

        if (!managedFieldsDone)
        {
            var scope = subresource == "status" ? FieldScope.StatusOnly : def.HasStatus ? FieldScope.AllButStatus : FieldScope.All;
            FieldManager.RecordUpdate(old, obj, options.Manager, subresource, def.ApiVersion, def.TypeSchema, scope, Now);
        }

        if (def.GroupResource == Crds)
        {
            obj["status"] = CrdStrategy.EstablishedStatus(obj, Now, JsonPaths.ObjectAt(old, "status"));
            if (JsonPaths.GetString(obj, "metadata", "deletionTimestamp") is not null)
            {
                obj["status"] = JsonPaths.ObjectAt(old, "status")?.DeepClone();
            }
        }

        if (JsonNode.DeepEquals(obj, old))
        {
            return current.Object;
        }

        if (options.DryRun)
        {
            return obj;
        }

        if (JsonPaths.GetString(obj, "metadata", "deletionTimestamp") is not null && !HasFinalizers(def, obj))
        {
            var deleted = w.Remove(def.GroupResource, current.Key)!;
            AfterWrite(w, def, null, deleted);
            return deleted.Object;
        }

        var stored = w.Put(def.GroupResource, obj);
        AfterWrite(w, def, stored);
        return stored.Object;
    }

    // ---- patch -------------------------------------------------------------------------------------

    public (JsonObject Object, bool Created) Patch(ResourceDefinition def, string ns, string name, string? subresource, string contentType, byte[] body, WriteOptions options)
    {
        if (contentType == "application/apply-patch+yaml")
        {
            return Apply(def, ns, name, subresource, Encoding.UTF8.GetString(body), options);
        }

        var patch = ParsePatchBody(body);
        return (store.Write(w =>
        {
            var current = w.Get(def.GroupResource, Key(def, ns, name)) ?? throw ApiException.NotFound(def, name);
            var original = current.Clone();
            var patched = ApplyPatch(def, contentType, original, patch);
            if (patched is not JsonObject patchedObject)
            {
                throw new ApiException(422, "Invalid", "the patch did not produce an object");
            }

            var patchedRv = JsonPaths.GetString(patchedObject, "metadata", "resourceVersion");
            if (patchedRv is null or "")
            {
                JsonPaths.Metadata(patchedObject)["resourceVersion"] = current.ResourceVersion.ToString(CultureInfo.InvariantCulture);
            }

            return UpdateCore(w, def, current, patchedObject, subresource, options, managedFieldsDone: false);
        }), false);
    }

    private static JsonNode? ParsePatchBody(byte[] body)
    {
        try
        {
            return JsonNode.Parse(body);
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"error decoding patch: {e.Message}");
        }
    }

    private static JsonNode? ApplyPatch(ResourceDefinition def, string contentType, JsonObject original, JsonNode? patch) => contentType switch
    {
        "application/merge-patch+json" => JsonMergePatch.Apply(original, patch),
        "application/json-patch+json" => JsonPatch.Apply(original, patch),
        "application/strategic-merge-patch+json" when def.IsCustom => throw ApiException.UnsupportedMediaType(
            "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"),
        "application/strategic-merge-patch+json" => patch is JsonObject p
            ? StrategicMergePatch.Apply(original, p, def.TypeSchema)
            : throw ApiException.BadRequest("strategic merge patch: the patch must be a JSON object"),
        _ => throw ApiException.UnsupportedMediaType(
            $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml{(def.IsCustom ? "" : ", application/strategic-merge-patch+json")}"),
    };

    private (JsonObject Object, bool Created) Apply(ResourceDefinition def, string ns, string name, string? subresource, string yaml, WriteOptions options)
    {
        if (string.IsNullOrEmpty(options.FieldManager))
        {
            throw ApiException.BadRequest("PATCH, application/apply-patch+yaml requests require the fieldManager parameter to be set");
        }

        var config = YamlJson.Parse(yaml) as JsonObject ?? throw ApiException.BadRequest("error decoding YAML: the applied configuration must be an object");
        if (JsonPaths.GetString(config, "apiVersion") is not { Length: > 0 } apiVersion || JsonPaths.GetString(config, "kind") is not { Length: > 0 } kind)
        {
            throw ApiException.BadRequest("invalid object type: apiVersion and kind must be set in an applied configuration");
        }

        if (kind != def.Kind || (apiVersion != def.ApiVersion && subresource is null))
        {
            throw ApiException.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({def.ApiVersion})");
        }

        if (JsonPaths.GetString(config, "metadata", "name") is { } configName && configName != name)
        {
            throw ApiException.BadRequest($"the name of the object ({configName}) does not match the name on the URL ({name})");
        }

        if (def.Strategy is CustomResourceStrategy crs)
        {
            var unknown = new List<string>();
            SchemaProcessor.PruneAndDefault(config, crs.Schema, unknown);
            ReportUnknownFields(def, unknown, options);
        }

        var scope = subresource == "status" ? FieldScope.StatusOnly : def.HasStatus ? FieldScope.AllButStatus : FieldScope.All;
        return store.Write(w =>
        {
            var current = w.Get(def.GroupResource, Key(def, ns, name));
            if (JsonPaths.GetString(config, "metadata", "resourceVersion") is { Length: > 0 } rv &&
                (current is null || rv != current.ResourceVersion.ToString(CultureInfo.InvariantCulture)))
            {
                throw current is null ? ApiException.NotFound(def, name) : ApiException.StaleResourceVersion(def, name);
            }

            if (current is null)
            {
                if (subresource is not null)
                {
                    throw ApiException.NotFound(def, name);
                }

                var skeleton = new JsonObject
                {
                    ["apiVersion"] = def.ApiVersion,
                    ["kind"] = def.Kind,
                    ["metadata"] = new JsonObject { ["name"] = name },
                };
                var created = FieldManager.Apply(skeleton, config, options.Manager, options.Force, null, def.ApiVersion, def.TypeSchema, FieldScope.All, Now);
                return (CreateCore(w, def, ns, created, options, managedFieldsDone: true).Object, true);
            }

            var merged = FieldManager.Apply(current.Clone(), config, options.Manager, options.Force, subresource, def.ApiVersion, def.TypeSchema, scope, Now);
            return (UpdateCore(w, def, current, merged, subresource, options, managedFieldsDone: true), false);
        });
    }

    // ---- scale -------------------------------------------------------------------------------------

    public JsonObject GetScale(ResourceDefinition def, string ns, string name) => ToScale(def, Get(def, ns, name));

    private static JsonObject ToScale(ResourceDefinition def, StoredObject stored)
    {
        var scale = def.Scale ?? throw ApiException.NotFoundPath();
        var obj = stored.Object;
        var selector = scale.LabelSelectorPath is { } lsp
            ? JsonPaths.GetString(obj, PathParts(lsp))
            : JsonPaths.ObjectAt(obj, "spec", "selector") is { } sel ? Selectors.LabelSelectorObject.ToSelectorString(sel) : null;
        var status = new JsonObject { ["replicas"] = JsonPaths.GetInt64(obj, PathParts(scale.StatusReplicasPath)) ?? 0 };
        if (selector is not null)
        {
            status["selector"] = selector;
        }

        var metadata = new JsonObject
        {
            ["name"] = stored.Name,
            ["uid"] = stored.Uid,
            ["resourceVersion"] = stored.ResourceVersion.ToString(CultureInfo.InvariantCulture),
            ["creationTimestamp"] = JsonPaths.GetString(obj, "metadata", "creationTimestamp"),
        };
        if (stored.Namespace.Length > 0)
        {
            metadata["namespace"] = stored.Namespace;
        }

        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject { ["replicas"] = JsonPaths.GetInt64(obj, PathParts(scale.SpecReplicasPath)) ?? 0 },
            ["status"] = status,
        };
    }

    /// <summary>PUT or PATCH of /scale: the patch applies to the Scale object; spec.replicas goes to the scaled object.</summary>
    public JsonObject UpdateScale(ResourceDefinition def, string ns, string name, string? patchContentType, byte[] body, WriteOptions options)
    {
        var scale = def.Scale ?? throw ApiException.NotFoundPath();
        return store.Write(w =>
        {
            var current = w.Get(def.GroupResource, Key(def, ns, name)) ?? throw ApiException.NotFound(def, name);
            var currentScale = ToScale(def, current);
            JsonObject desired;
            if (patchContentType is null)
            {
                desired = JsonPaths.ParseObject(body, "Scale");
            }
            else if (patchContentType == "application/apply-patch+yaml")
            {
                desired = (JsonObject)(JsonMergePatch.Apply(currentScale, YamlJson.Parse(Encoding.UTF8.GetString(body))) ?? currentScale);
            }
            else
            {
                desired = ApplyPatch(def.IsCustom ? AsBuiltin(def) : def, patchContentType, currentScale, ParsePatchBody(body)) as JsonObject
                    ?? throw new ApiException(422, "Invalid", "the patch did not produce a Scale");
            }

            if (JsonPaths.GetString(desired, "metadata", "resourceVersion") is { Length: > 0 } rv && rv != current.ResourceVersion.ToString(CultureInfo.InvariantCulture))
            {
                throw ApiException.StaleResourceVersion(def, name);
            }

            var replicas = JsonPaths.GetInt64(desired, "spec", "replicas");
            if (replicas is null or < 0)
            {
                throw new ApiException(422, "Invalid", $"Scale.autoscaling \"{name}\" is invalid: spec.replicas: Invalid value: {replicas?.ToString(CultureInfo.InvariantCulture) ?? "null"}: must be greater than or equal to 0",
                    new JsonObject { ["name"] = name, ["group"] = "autoscaling", ["kind"] = "Scale" });
            }

            var obj = current.Clone();
            var parts = PathParts(scale.SpecReplicasPath);
            JsonPaths.Ensure(obj, parts[..^1])[parts[^1]] = replicas;
            var updated = UpdateCore(w, def, current, obj, "scale", options, managedFieldsDone: false);
            return ToScale(def, new StoredObject(updated, long.Parse(JsonPaths.GetString(updated, "metadata", "resourceVersion") ?? "0", CultureInfo.InvariantCulture)));
        });
    }

    private static ResourceDefinition AsBuiltin(ResourceDefinition def) => new()
    {
        Group = def.Group,
        Version = def.Version,
        Plural = def.Plural,
        Singular = def.Singular,
        Kind = def.Kind,
        Namespaced = def.Namespaced,
        Table = def.Table,
    };

    private static string[] PathParts(string path) => path.Split('.', StringSplitOptions.RemoveEmptyEntries);

    // ---- delete ------------------------------------------------------------------------------------

    /// <summary>Deletes or starts deleting; returns the object (deleted, or marked with deletionTimestamp) and whether it is gone.</summary>
    public (JsonObject Object, bool Gone) Delete(ResourceDefinition def, string ns, string name, DeleteOptions options) =>
        store.Write(w => DeleteCore(w, def, Key(def, ns, name), options));

    private (JsonObject Object, bool Gone) DeleteCore(ObjectStore.StoreWriter w, ResourceDefinition def, ObjectKey key, DeleteOptions options)
    {
        var current = w.Get(def.GroupResource, key) ?? throw ApiException.NotFound(def, key.Name);
        if (options.PreconditionUid is { Length: > 0 } uid && uid != current.Uid)
        {
            throw ApiException.Conflict(def, key.Name, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {current.Uid}");
        }

        if (options.PreconditionResourceVersion is { Length: > 0 } rv && rv != current.ResourceVersion.ToString(CultureInfo.InvariantCulture))
        {
            throw ApiException.Conflict(def, key.Name,
                $"Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {current.ResourceVersion}");
        }

        var obj = current.Clone();
        var metadata = JsonPaths.Metadata(obj);
        var finalizers = JsonPaths.Strings(metadata["finalizers"]).ToList();
        var policy = options.PropagationPolicy ?? def.DefaultPropagation;
        var changedFinalizers = false;
        if (policy == PropagationPolicy.Orphan && !finalizers.Contains(OrphanFinalizer))
        {
            finalizers.Add(OrphanFinalizer);
            changedFinalizers = true;
        }
        else if (policy == PropagationPolicy.Foreground && !finalizers.Contains(ForegroundFinalizer))
        {
            finalizers.Add(ForegroundFinalizer);
            changedFinalizers = true;
        }

        if (policy == PropagationPolicy.Orphan && !HasDependents(w, current.Uid))
        {
            finalizers.Remove(OrphanFinalizer);
            changedFinalizers = !JsonPaths.Strings(current.Object["metadata"]?["finalizers"]).SequenceEqual(finalizers);
        }

        if (policy == PropagationPolicy.Foreground && !HasDependents(w, current.Uid))
        {
            finalizers.Remove(ForegroundFinalizer);
            changedFinalizers = !JsonPaths.Strings(current.Object["metadata"]?["finalizers"]).SequenceEqual(finalizers);
        }

        var alreadyDeleting = metadata["deletionTimestamp"] is not null;
        if (alreadyDeleting && !changedFinalizers)
        {
            return (current.Object, false);
        }

        if (finalizers.Count > 0)
        {
            metadata["finalizers"] = new JsonArray(finalizers.Select(f => (JsonNode?)f).ToArray());
        }
        else
        {
            metadata.Remove("finalizers");
        }

        if (finalizers.Count == 0 && !HasFinalizers(def, obj))
        {
            if (options.DryRun)
            {
                return (current.Object, true);
            }

            var deleted = w.Remove(def.GroupResource, key)!;
            AfterWrite(w, def, null, deleted);
            return (deleted.Object, true);
        }

        if (!alreadyDeleting)
        {
            metadata["deletionTimestamp"] = JsonPaths.Timestamp(Now);
            metadata["deletionGracePeriodSeconds"] = 0;
            if (JsonPaths.GetInt64(metadata, "generation") is { } generation)
            {
                metadata["generation"] = generation + 1;
            }
        }

        if (def.GroupResource == Namespaces)
        {
            JsonPaths.Ensure(obj, "status")["phase"] = "Terminating";
        }

        if (def.GroupResource == Crds)
        {
            var conditions = JsonPaths.ArrayAt(obj, "status", "conditions") ?? [];
            conditions.Add(new JsonObject
            {
                ["type"] = "Terminating",
                ["status"] = "True",
                ["lastTransitionTime"] = JsonPaths.Timestamp(Now),
                ["reason"] = "InstanceDeletionPending",
                ["message"] = "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon",
            });
            JsonPaths.Ensure(obj, "status")["conditions"] = conditions.DeepClone();
        }

        if (options.DryRun)
        {
            return (obj, false);
        }

        var stored = w.Put(def.GroupResource, obj);
        AfterWrite(w, def, stored);
        return (stored.Object, false);
    }

    private static bool HasDependents(ObjectStore.StoreWriter w, string uid) =>
        w.State.Resources.Values.Any(objects => objects.Values.Any(o => OwnerUids(o.Object).Contains(uid)));

    public static IEnumerable<string> OwnerUids(JsonObject obj) =>
        (JsonPaths.ArrayAt(obj, "metadata", "ownerReferences") ?? []).Select(r => JsonPaths.GetString(r, "uid")).OfType<string>();

    /// <summary>Metadata finalizers, and for namespaces the spec.finalizers the namespace controller clears.</summary>
    private static bool HasFinalizers(ResourceDefinition def, JsonObject obj) =>
        JsonPaths.ArrayAt(obj, "metadata", "finalizers") is { Count: > 0 } ||
        def.GroupResource == Namespaces && JsonPaths.ArrayAt(obj, "spec", "finalizers") is { Count: > 0 };

    // ---- shared steps -----------------------------------------------------------------------------

    private static ObjectKey Key(ResourceDefinition def, string ns, string name) => new(def.Namespaced ? ns : "", name);

    private static void CheckTypeMeta(ResourceDefinition def, JsonObject body)
    {
        var apiVersion = JsonPaths.GetString(body, "apiVersion");
        var kind = JsonPaths.GetString(body, "kind");
        if (kind is { Length: > 0 } && kind != def.Kind)
        {
            throw ApiException.BadRequest($"the kind in the data ({kind}) does not match the expected kind ({def.Kind})");
        }

        if (apiVersion is { Length: > 0 } && apiVersion != def.ApiVersion)
        {
            throw ApiException.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({def.ApiVersion})");
        }
    }

    private static void SetNamespace(ResourceDefinition def, string ns, JsonObject metadata)
    {
        if (!def.Namespaced)
        {
            metadata.Remove("namespace");
            return;
        }

        var bodyNamespace = JsonPaths.GetString(metadata, "namespace");
        if (bodyNamespace is { Length: > 0 } && bodyNamespace != ns)
        {
            throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        metadata["namespace"] = ns;
    }

    private static void CheckNamespaceActive(ObjectStore.StoreWriter w, string ns)
    {
        var namespaceObject = w.Get(Namespaces, new ObjectKey("", ns)) ?? throw ApiException.NotFound("", "namespaces", ns);
        if (JsonPaths.GetString(namespaceObject.Object, "metadata", "deletionTimestamp") is not null)
        {
            throw ApiException.Forbidden($"unable to create new content in namespace {ns} because it is being terminated",
                new JsonObject { ["name"] = ns, ["kind"] = "namespaces", ["causes"] = new JsonArray(new JsonObject { ["reason"] = "NamespaceTerminating", ["message"] = $"namespace {ns} is being terminated", ["field"] = "metadata.namespace" }) });
        }
    }

    private StrategyContext Context(ObjectStore.StoreWriter w, ResourceDefinition def, string ns)
    {
        var state = w.State;
        return new StrategyContext
        {
            Definition = def,
            ServiceIpPrefix = serviceIpPrefix,
            ListOthers = resource => state.Of(new GroupResource("", resource)).Values.Select(o => o.Object),
        };
    }

    /// <summary>Defaults, pruning, unknown-field handling, name and object validation.</summary>
    private static void Admit(ResourceDefinition def, JsonObject obj, JsonObject? old, StrategyContext context, WriteOptions options)
    {
        def.Strategy.Normalize(obj, context);
        ReportUnknownFields(def, context.UnknownFields, options);
        var errors = new List<FieldError>();
        var name = JsonPaths.GetString(obj, "metadata", "name") ?? "";
        if (old is null)
        {
            var dnsLabel = def.GroupResource is { Group: "", Resource: "namespaces" or "services" };
            if (dnsLabel ? !Names.IsDnsLabel(name) : !Names.IsDnsSubdomain(name))
            {
                errors.Add(FieldError.Invalid("metadata.name", JsonValue.Create(name), dnsLabel ? Names.DnsLabelMessage : Names.DnsSubdomainMessage));
            }
        }

        ValidateMetadata(obj, errors);
        errors.AddRange(def.Strategy.Validate(obj, old, context));
        if (errors.Count > 0)
        {
            throw ApiException.Invalid(def, name, errors);
        }
    }

    private static void ValidateMetadata(JsonObject obj, List<FieldError> errors)
    {
        foreach (var field in new[] { "labels", "annotations" })
        {
            if (JsonPaths.Get(obj, "metadata", field) is JsonObject map)
            {
                foreach (var (key, value) in map)
                {
                    if (value is not JsonValue v || !v.TryGetValue<string>(out _))
                    {
                        errors.Add(FieldError.Invalid($"metadata.{field}", value?.DeepClone(), $"{field} values must be strings ({key})"));
                    }
                }
            }
        }

        var refs = JsonPaths.ArrayAt(obj, "metadata", "ownerReferences") ?? [];
        for (var i = 0; i < refs.Count; i++)
        {
            foreach (var required in new[] { "apiVersion", "kind", "name", "uid" })
            {
                if (JsonPaths.GetString(refs[i], required) is null or "")
                {
                    errors.Add(FieldError.Invalid(FieldError.FormatIndex("metadata.ownerReferences", i) + "." + required, null, $"{required} must not be empty"));
                }
            }
        }

        if (refs.Count(r => JsonPaths.GetBool(r, "controller") == true) > 1)
        {
            errors.Add(FieldError.Invalid("metadata.ownerReferences", null, "Only one reference can have Controller set to true"));
        }
    }

    private static void ReportUnknownFields(ResourceDefinition def, List<string> unknown, WriteOptions options)
    {
        if (unknown.Count == 0 || options.FieldValidation == FieldValidation.Ignore)
        {
            return;
        }

        if (options.FieldValidation == FieldValidation.Strict)
        {
            throw ApiException.BadRequest($"{def.Kind} in version \"{def.Version}\" cannot be handled as a {def.Kind}: strict decoding error: " +
                string.Join(", ", unknown.Select(u => $"unknown field \"{u}\"")));
        }

        options.Warnings.AddRange(unknown.Select(u => $"unknown field \"{u}\""));
    }

    /// <summary>Keeps derived state in step with a committed write: CRDs re-derive the catalog, namespaces get a default ServiceAccount.</summary>
    private void AfterWrite(ObjectStore.StoreWriter w, ResourceDefinition def, StoredObject? stored, StoredObject? deleted = null)
    {
        if (def.GroupResource == Crds)
        {
            RefreshCatalog(w.State);
        }

        if (def.GroupResource == Namespaces && stored is not null && stored.ResourceVersion == w.CurrentResourceVersion &&
            JsonPaths.GetString(stored.Object, "metadata", "deletionTimestamp") is null &&
            w.Get(new GroupResource("", "serviceaccounts"), new ObjectKey(stored.Name, "default")) is null)
        {
            var account = new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "ServiceAccount",
                ["metadata"] = new JsonObject
                {
                    ["name"] = "default",
                    ["namespace"] = stored.Name,
                    ["uid"] = Guid.NewGuid().ToString(),
                    ["creationTimestamp"] = JsonPaths.Timestamp(Now),
                },
            };
            w.Put(new GroupResource("", "serviceaccounts"), account);
        }

        _ = deleted;
    }

    public void RefreshCatalog(StoreState state)
    {
        var definitions = new List<ResourceDefinition>();
        foreach (var crd in state.Of(Crds).Values)
        {
            definitions.AddRange(CrdStrategy.Definitions(crd.Object));
        }

        catalog.ReplaceCustomResources(definitions);
    }

    /// <summary>Deletes as a controller does (used by garbage collection and the namespace and CRD controllers).</summary>
    public bool TryDelete(GroupResource resource, ObjectKey key, PropagationPolicy policy, string? uid = null)
    {
        var def = catalog.Preferred(resource);
        if (def is null)
        {
            return false;
        }

        try
        {
            store.Write(w => DeleteCore(w, def, key, new DeleteOptions { PropagationPolicy = policy, PreconditionUid = uid }));
            return true;
        }
        catch (ApiException e) when (e.Code is 404 or 409)
        {
            return false;
        }
    }

    /// <summary>Changes an object as a controller does (merge of a function's result), retrying nothing: the store lock makes it atomic.</summary>
    public bool TryMutate(GroupResource resource, ObjectKey key, string manager, Func<JsonObject, bool> mutate)
    {
        var def = catalog.Preferred(resource);
        if (def is null)
        {
            return false;
        }

        return store.Write(w =>
        {
            var current = w.Get(resource, key);
            if (current is null)
            {
                return false;
            }

            var obj = current.Clone();
            if (!mutate(obj))
            {
                return false;
            }

            try
            {
                UpdateCore(w, def, current, obj, null, WriteOptions.System(manager), managedFieldsDone: false);
                if (def.HasStatus && !JsonNode.DeepEquals(obj["status"], current.Object["status"]))
                {
                    var after = w.Get(resource, key);
                    if (after is not null)
                    {
                        var withStatus = after.Clone();
                        withStatus["status"] = obj["status"]?.DeepClone();
                        UpdateCore(w, def, after, withStatus, "status", WriteOptions.System(manager), managedFieldsDone: false);
                    }
                }

                return true;
            }
            catch (ApiException)
            {
                return false;
            }
        });
    }
}
