using System.Reflection;
using System.Text.Json.Nodes;
using k8s.Models;
using Nestor.Api.Schema;

namespace Nestor.Api.Crds;

/// <summary>The CustomResourceDefinition of one resource type, and the documented fields met while building it.</summary>
public sealed record GeneratedCrd(Type Resource, string Name, string Kind, JsonObject Definition, IReadOnlyList<FieldDoc> Fields);

/// <summary>Builds apiextensions.k8s.io/v1 CustomResourceDefinitions from the resource types.</summary>
public static class CrdBuilder
{
    public static IReadOnlyList<GeneratedCrd> BuildAll() => [.. NestorKinds.All.Select(Build)];

    public static GeneratedCrd Build(Type resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var entity = resource.GetCustomAttribute<KubernetesEntityAttribute>()
            ?? throw new InvalidOperationException($"{resource.Name} has no [KubernetesEntity].");
        var plural = entity.PluralName;
        var builder = new SchemaBuilder();
        var schema = builder.RootSchema(resource);

        var names = new JsonObject
        {
            ["kind"] = entity.Kind,
            ["listKind"] = entity.Kind + "List",
            ["plural"] = plural,
            ["singular"] = entity.Kind.ToLowerInvariant(),
        };
        if (resource.GetCustomAttribute<ShortNamesAttribute>() is { } shortNames)
        {
            names["shortNames"] = Strings(shortNames.Names);
        }

        if (resource.GetCustomAttribute<CategoriesAttribute>() is { } categories)
        {
            names["categories"] = Strings(categories.Names);
        }

        var version = new JsonObject
        {
            ["name"] = entity.ApiVersion,
            ["served"] = true,
            ["storage"] = true,
        };
        var columns = resource.GetCustomAttributes<PrinterColumnAttribute>().OrderBy(c => c.Order).ToList();
        if (columns.Count > 0)
        {
            version["additionalPrinterColumns"] = new JsonArray([.. columns.Select(Column)]);
        }

        var subresources = new JsonObject();
        if (resource.IsDefined(typeof(StatusSubresourceAttribute)))
        {
            subresources["status"] = new JsonObject();
        }

        if (resource.GetCustomAttribute<ScaleSubresourceAttribute>() is { } scale)
        {
            subresources["scale"] = new JsonObject
            {
                ["specReplicasPath"] = scale.SpecReplicasPath,
                ["statusReplicasPath"] = scale.StatusReplicasPath,
                ["labelSelectorPath"] = scale.LabelSelectorPath,
            };
        }

        if (subresources.Count > 0)
        {
            version["subresources"] = subresources;
        }

        version["schema"] = new JsonObject { ["openAPIV3Schema"] = schema };

        var name = $"{plural}.{entity.Group}";
        var definition = new JsonObject
        {
            ["apiVersion"] = "apiextensions.k8s.io/v1",
            ["kind"] = "CustomResourceDefinition",
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["labels"] = new JsonObject
                {
                    ["app.kubernetes.io/name"] = "nestor",
                    ["app.kubernetes.io/part-of"] = "nestor",
                },
            },
            ["spec"] = new JsonObject
            {
                ["group"] = entity.Group,
                ["names"] = names,
                ["scope"] = "Namespaced",
                ["versions"] = new JsonArray(version),
            },
        };
        return new GeneratedCrd(resource, name, entity.Kind, definition, builder.Fields);
    }

    private static JsonObject Column(PrinterColumnAttribute column)
    {
        var node = new JsonObject { ["name"] = column.Name, ["type"] = column.Type, ["jsonPath"] = column.JsonPath };
        if (column.Description is not null)
        {
            node["description"] = column.Description;
        }

        if (column.Format is not null)
        {
            node["format"] = column.Format;
        }

        if (column.Priority != 0)
        {
            node["priority"] = column.Priority;
        }

        return node;
    }

    private static JsonArray Strings(IEnumerable<string> values) => [.. values.Select(v => (JsonNode)v)];
}
