namespace Nestor.ApiServer.Resources;

/// <summary>
/// The merge structure of the built-in kinds, from the patchMergeKey/patchStrategy and listType tags of
/// k8s.io/api. Only the lists and maps that merge are declared; every other list is atomic (replaced).
/// </summary>
internal static class BuiltinTypes
{
    private static readonly TypeNode StringMap = TypeNode.MapOf(TypeNode.Leaf);

    private static readonly TypeNode Conditions = TypeNode.KeyedList(TypeNode.Object(), "type");

    public static readonly TypeNode ObjectMeta = TypeNode.Object(
        ("labels", StringMap),
        ("annotations", StringMap),
        ("finalizers", TypeNode.SetList()),
        ("ownerReferences", TypeNode.KeyedList(TypeNode.Object(), "uid")));

    private static readonly TypeNode Container = TypeNode.Object(
        ("ports", new TypeNode { IsList = true, ListKind = ListKind.Map, Keys = ["containerPort", "protocol"], PatchMergeKey = "containerPort", Elements = TypeNode.Object() }),
        ("env", TypeNode.KeyedList(TypeNode.Object(), "name")),
        ("volumeMounts", TypeNode.KeyedList(TypeNode.Object(), "mountPath")),
        ("volumeDevices", TypeNode.KeyedList(TypeNode.Object(), "devicePath")),
        ("resources", TypeNode.Object(("limits", StringMap), ("requests", StringMap))));

    public static readonly TypeNode PodSpec = TypeNode.Object(
        ("containers", TypeNode.KeyedList(Container, "name")),
        ("initContainers", TypeNode.KeyedList(Container, "name")),
        ("ephemeralContainers", TypeNode.KeyedList(Container, "name")),
        ("volumes", new TypeNode { IsList = true, ListKind = ListKind.Map, Keys = ["name"], PatchMergeKey = "name", Elements = new TypeNode { RetainKeys = true } }),
        ("imagePullSecrets", TypeNode.KeyedList(TypeNode.Object(), "name")),
        ("hostAliases", TypeNode.KeyedList(TypeNode.Object(), "ip")),
        ("topologySpreadConstraints", new TypeNode { IsList = true, ListKind = ListKind.Map, Keys = ["topologyKey", "whenUnsatisfiable"], PatchMergeKey = "topologyKey", Elements = TypeNode.Object() }),
        ("nodeSelector", StringMap),
        ("overhead", StringMap));

    private static readonly TypeNode PodTemplateSpec = TypeNode.Object(("metadata", ObjectMeta), ("spec", PodSpec));

    private static TypeNode Kind(TypeNode? spec = null, TypeNode? status = null, params (string, TypeNode)[] extra) =>
        TypeNode.Object([("metadata", ObjectMeta), ("spec", spec ?? TypeNode.Object()), ("status", status ?? TypeNode.Object(("conditions", Conditions))), .. extra]);

    public static readonly TypeNode Pod = Kind(PodSpec, TypeNode.Object(("conditions", Conditions)));

    public static readonly TypeNode Service = Kind(TypeNode.Object(
        ("ports", new TypeNode { IsList = true, ListKind = ListKind.Map, Keys = ["port", "protocol"], PatchMergeKey = "port", Elements = TypeNode.Object() }),
        ("selector", StringMap)));

    public static readonly TypeNode Deployment = Kind(TypeNode.Object(
        ("template", PodTemplateSpec),
        ("selector", new TypeNode { AtomicMap = true }),
        ("strategy", new TypeNode { RetainKeys = true })));

    public static readonly TypeNode Job = Kind(TypeNode.Object(("template", PodTemplateSpec), ("selector", new TypeNode { AtomicMap = true })));

    public static readonly TypeNode DataObject = TypeNode.Object(("metadata", ObjectMeta), ("data", StringMap), ("binaryData", StringMap), ("stringData", StringMap));

    public static readonly TypeNode Generic = Kind();

    public static readonly TypeNode Crd = Kind(TypeNode.Object(
        ("versions", TypeNode.KeyedList(TypeNode.Object(), "name"))));
}
