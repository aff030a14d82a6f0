using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TypedNets.Generator.Helpers;
using TypedNets.Generator.Model;

namespace TypedNets.Generator;

public sealed partial class NetworkGenerator
{
    /// <summary>How a network or block composes its children.</summary>
    internal enum ScopeKind
    {
        /// <summary>The network itself: children named after their properties.</summary>
        Network,

        /// <summary>A <c>[Block]</c>: children in order, named after their properties.</summary>
        Block,

        /// <summary>A <c>[Sequential]</c> block: children in order, named 0, 1, ... as <c>nn.Sequential</c>.</summary>
        Sequential,

        /// <summary>A <c>[Residual]</c> block: its children's output plus the shortcut's (or the block's input).</summary>
        Residual,
    }

    internal static class Blocks
    {
        public const string BlockAttributeName = "TypedNets.BlockAttribute";
        public const string SequentialAttributeName = "TypedNets.SequentialAttribute";
        public const string ResidualAttributeName = "TypedNets.ResidualAttribute";
        public const string RepeatAttributeName = "TypedNets.RepeatAttribute";
        public const string ShortcutAttributeName = "TypedNets.ShortcutAttribute";
        public const string FromAttributeName = "TypedNets.FromAttribute";

        /// <summary>
        /// <c>BlockAttribute.Input</c>: the name by which Add, Concatenate and From read the enclosing block's (or the
        /// network's) input; no property can be called this.
        /// </summary>
        public const string InputName = "(input)";

        /// <summary>A block's kind from its class attribute, or <see langword="null"/> for a type that is not a block.</summary>
        public static ScopeKind? KindOf(ITypeSymbol? type)
        {
            if (type is not INamedTypeSymbol named || named.TypeKind == TypeKind.Error)
            {
                return null;
            }

            foreach (AttributeData attribute in named.GetAttributes())
            {
                switch (FullName(attribute.AttributeClass))
                {
                    case BlockAttributeName:
                        return ScopeKind.Block;
                    case SequentialAttributeName:
                        return ScopeKind.Sequential;
                    case ResidualAttributeName:
                        return ScopeKind.Residual;
                }
            }

            return null;
        }

        /// <summary>The element type of a <c>[Repeat]</c> property's <c>IReadOnlyList&lt;T&gt;</c>, or <see langword="null"/>.</summary>
        public static ITypeSymbol? ListElement(ITypeSymbol type)
            => type is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } named
                && named.ConstructedFrom.ToDisplayString() == "System.Collections.Generic.IReadOnlyList<T>"
                ? named.TypeArguments[0]
                : null;

        public static bool Has(ISymbol symbol, string attributeName)
            => symbol.GetAttributes().Any(attribute => FullName(attribute.AttributeClass) == attributeName);

        /// <summary>
        /// A block's (or network's) children in source order: properties with a layer attribute, a <c>[Repeat]</c>, or a
        /// block type. The block's generated constructor takes them in this order.
        /// </summary>
        public static List<IPropertySymbol> Children(INamedTypeSymbol type)
            => PropertiesInSourceOrder(type)
                .Where(property => property.GetAttributes().Any(attribute => Parser.IsLayerAttribute(FullName(attribute.AttributeClass)))
                    || Has(property, RepeatAttributeName)
                    || KindOf(property.Type) is not null)
                .ToList();

        public static IEnumerable<IPropertySymbol> PropertiesInSourceOrder(INamedTypeSymbol type)
            => type.GetMembers()
                .OfType<IPropertySymbol>()
                .Where(property => property.Locations.Length > 0 && property.Locations[0].IsInSource)
                .OrderBy(property => property.Locations[0].SourceTree?.FilePath, StringComparer.Ordinal)
                .ThenBy(property => property.Locations[0].SourceSpan.Start);

        private static string FullName(ITypeSymbol? type)
            => type is null ? string.Empty : type.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat);

        /// <summary>The transform of a block class: what its generated part implements.</summary>
        public static BlockModel? Transform(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            if (context.TargetSymbol is not INamedTypeSymbol type || context.TargetNode is not TypeDeclarationSyntax declaration
                || type.TypeKind != TypeKind.Class || type.IsStatic || type.IsFileLocal || type.TypeParameters.Length > 0 || type.Name.Length == 0
                || !declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                return null;
            }

            // A class with two block attributes (which KindOf reads in order) gets its part once, from the first.
            string? first = type.GetAttributes().Select(attribute => FullName(attribute.AttributeClass))
                .FirstOrDefault(name => name is BlockAttributeName or SequentialAttributeName or ResidualAttributeName);
            if (context.Attributes.Length == 0 || FullName(context.Attributes[0].AttributeClass) != first)
            {
                return null;
            }

            var containers = new List<string>();
            for (INamedTypeSymbol? container = type.ContainingType; container is not null; container = container.ContainingType)
            {
                if (container.TypeKind != TypeKind.Class || container.IsRecord || container.TypeParameters.Length > 0)
                {
                    return null;
                }

                containers.Insert(0, $"partial class {Emitter.Identifier(container.Name)}");
            }

            var children = new List<BlockChildModel>();
            foreach (IPropertySymbol property in Children(type))
            {
                var syntax = property.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) as PropertyDeclarationSyntax;
                bool implementable = syntax is { ExpressionBody: null, AccessorList: { } accessors }
                    && syntax.Modifiers.Any(SyntaxKind.PartialKeyword)
                    && property.PartialImplementationPart is null
                    && !property.IsStatic && !property.IsIndexer
                    && property.GetMethod is not null && property.SetMethod is null
                    && accessors.Accessors.All(accessor => accessor.Body is null && accessor.ExpressionBody is null)
                    && property.Type.TypeKind != TypeKind.Error;
                string modifiers = syntax is null
                    ? "public"
                    : string.Join(" ", syntax.Modifiers.Where(modifier => !modifier.IsKind(SyntaxKind.PartialKeyword)).Select(modifier => modifier.Text));
                string propertyType = property.Type.TypeKind == TypeKind.Error
                    ? "object"
                    : property.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
                children.Add(new BlockChildModel(property.Name, modifiers, propertyType, implementable));
            }

            return new BlockModel(
                type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString(),
                type.Name,
                containers.ToEquatableArray(),
                children.ToEquatableArray());
        }

        /// <summary>The generated part of a block: its children as properties, and the constructor the networks call.</summary>
        public static string Emit(BlockModel block)
        {
            var writer = new SourceWriter();
            writer.WriteLine("// <auto-generated/>");
            writer.WriteLine("#nullable enable");
            writer.WriteLine();
            if (block.Namespace is not null)
            {
                writer.WriteLine($"namespace {block.Namespace};");
                writer.WriteLine();
            }

            foreach (string container in block.ContainingTypes)
            {
                writer.WriteLine(container);
                writer.WriteLine("{");
                writer.OpenBraceless();
            }

            string name = Emitter.Identifier(block.ClassName);
            using (writer.Block($"partial class {name}"))
            {
                foreach (BlockChildModel child in block.Children)
                {
                    writer.WriteLine($"private readonly {child.PropertyType} {GeneratedNames.LayerField(child.PropertyName)};");
                }

                writer.WriteLine();
                writer.WriteLine("/// <summary>The block's layers, in declaration order, as a network that uses it builds them; for generated code.</summary>");
                foreach (BlockChildModel child in block.Children)
                {
                    writer.WriteLine($"/// <param name=\"{Parameter(child.PropertyName).TrimStart('@')}\">The value of <c>{child.PropertyName}</c>.</param>");
                }

                writer.WriteLine("[global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Never)]");
                string parameters = string.Join(", ", block.Children.Select(child => $"{child.PropertyType} {Parameter(child.PropertyName)}"));
                using (writer.Block($"public {name}({parameters})"))
                {
                    foreach (BlockChildModel child in block.Children)
                    {
                        writer.WriteLine($"{GeneratedNames.LayerField(child.PropertyName)} = {Parameter(child.PropertyName)};");
                    }
                }

                foreach (BlockChildModel child in block.Children.Where(child => child.Implementable))
                {
                    writer.WriteLine();
                    writer.WriteLine($"{child.Accessibility} partial {child.PropertyType} {Emitter.Identifier(child.PropertyName)} => {GeneratedNames.LayerField(child.PropertyName)};");
                }
            }

            foreach (string _ in block.ContainingTypes)
            {
                writer.CloseBraceless();
                writer.WriteLine("}");
            }

            return writer.ToString();
        }

        private static string Parameter(string propertyName) => Emitter.Identifier(GeneratedNames.CamelCase(propertyName));
    }

    internal sealed partial class Parser
    {
        // A cap on the layers one declaration expands to, so that blocks repeated inside repeated blocks cannot make the
        // generator run out of memory.
        private const int MaxExpandedLayers = 100_000;

        private readonly List<(LayerModel Layer, LayerSite Site)> _nodes = [];
        private readonly List<BlockMemberModel> _blockMembers = [];
        private readonly List<(LayerModel Layer, LayerSite Site)> _members = [];
        private readonly Stack<INamedTypeSymbol> _blockStack = new();

        internal static bool IsLayerAttribute(string fullName) => LayerAttributes.ContainsKey(fullName);

        // Shapes after a layer that could not be placed are unknown, and the network cannot be generated: the
        // diagnostic that says why is ours, or the compiler's (an unresolved type or argument).
        private void Unbound()
        {
            _layerUnbound = true;
            Unresolved();
        }

        /// <summary>
        /// Reads the children of a network or block in source order into the flat list of layers, each reading the layer
        /// before it (or the scope's input, or a <c>[From]</c>); blocks expand in place, with PyTorch's nested module names.
        /// Returns the scope's output layer (-1 for the network's input) and the values of its children.
        /// </summary>
        private (int Output, List<BlockValueModel> Values) ParseScope(INamedTypeSymbol scope, ScopeKind kind, string modulePrefix, string pathPrefix, int input, Location? scopeSite)
        {
            var values = new List<BlockValueModel>();
            var names = new Dictionary<string, int>(StringComparer.Ordinal);
            List<IPropertySymbol> children = Blocks.Children(scope);
            var childNames = new HashSet<string>(children.Select(child => child.Name), StringComparer.Ordinal);
            var moduleNames = new Dictionary<string, string>(StringComparer.Ordinal);
            int current = input;
            int index = 0;
            int? shortcut = null;
            bool top = kind == ScopeKind.Network;

            // A name given with nameof: an earlier sibling's output, the scope's input (BlockAttribute.Input), or a TN0040
            // naming what is wrong.
            int? Resolve(string? name, IPropertySymbol reader, Location? location)
            {
                if (name is not null && names.TryGetValue(name, out int node))
                {
                    return node;
                }

                if (name == Blocks.InputName)
                {
                    // The network's token ids (the input of a first block too) are indices: only an Embedding reads them.
                    if (input < 0 && TokenInputLength() is int length && !ReadsTokens(reader))
                    {
                        string? embedding = children.TakeWhile(child => names.ContainsKey(child.Name))
                            .FirstOrDefault(child => names[child.Name] >= 0 && _nodes[names[child.Name]].Layer.Kind == LayerKind.Embedding)?.Name;
                        Report(DiagnosticDescriptors.BlockInputIsTokenIds, location, reader.Name, ReaderKind(reader), Invariant(length),
                            embedding is null ? "" : $", such as '{embedding}'");
                        return null;
                    }

                    return input;
                }

                string why = name is null ? "is not a name"
                    : childNames.Contains(name) ? (name == reader.Name ? "is the layer itself; name an earlier layer" : "is declared after it; a layer can read only layers declared before it")
                    : $"is not a layer of '{scope.Name}'; name an earlier layer of the same {(top ? "network" : "block")} with nameof";
                Report(DiagnosticDescriptors.UnknownLayerReference, location, reader.Name, name ?? "null", why);
                return null;
            }

            // TiedTo: a name as Resolve reads it, or a dotted path into an earlier block ("Transformer.Wte", with the
            // index of a [Repeat] copy where it passes one), walked through the blocks' values (TN0063 where it stops).
            int? ResolveTied(string? name, IPropertySymbol reader, Location? location)
            {
                if (name is null || name.IndexOf('.') < 0)
                {
                    return Resolve(name, reader, location);
                }

                string[] parts = name.Split('.');
                void Nowhere(string why) => Report(DiagnosticDescriptors.TiedPathLeadsNowhere, location, reader.Name, name, why);
                if (parts.Any(part => part.Length == 0))
                {
                    string? example = EmbeddingPath(values, children);
                    Nowhere("the path has an empty part; write it as 'Block.Layer'" + (example is null ? "" : $", such as '{example}'"));
                    return null;
                }

                if (parts[0] == Blocks.InputName)
                {
                    string? example = EmbeddingPath(values, children);
                    Nowhere($"'{parts[0]}' is the {(top ? "network" : "block")}'s input, not a block; a path starts at an earlier child of the {(top ? "network" : "block")}"
                        + (example is null ? "" : $", such as '{example}'"));
                    return null;
                }

                if (!names.ContainsKey(parts[0]))
                {
                    return Resolve(parts[0], reader, location);
                }

                int first = children.FindIndex(child => child.Name == parts[0]);
                BlockValueModel value = values[first];
                ITypeSymbol type = children[first].Type;
                string walked = parts[0];
                for (int i = 1; i < parts.Length; i++)
                {
                    string part = parts[i];
                    if (value.IsList)
                    {
                        int count = value.Items.Length;
                        bool numbered = int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int copy);
                        if (!numbered || copy >= count)
                        {
                            string rest = string.Join(".", parts.Skip(numbered ? i + 1 : i));
                            Nowhere($"'{walked}' is a [Repeat] of {Invariant(count)} blocks; name a copy by its index, 0 to {Invariant(count - 1)}, as '{walked}.0{(rest.Length == 0 ? "" : "." + rest)}'");
                            return null;
                        }

                        value = value.Items[copy];
                        type = Blocks.ListElement(type) ?? type;
                    }
                    else if (value.Layer >= 0)
                    {
                        Nowhere($"'{walked}' is a layer, not a block, so the path cannot go on to '{part}'; end the path at '{walked}'");
                        return null;
                    }
                    else
                    {
                        List<IPropertySymbol> members = type is INamedTypeSymbol block ? Blocks.Children(block) : [];
                        int index = members.FindIndex(member => member.Name == part);
                        if (index < 0 || index >= value.Items.Length)
                        {
                            Nowhere($"'{walked}' ({type.Name}) has no layer '{part}'; its layers are {string.Join(", ", members.Select(member => member.Name))}");
                            return null;
                        }

                        value = value.Items[index];
                        type = members[index].Type;
                    }

                    walked += "." + part;
                }

                if (value.Layer < 0)
                {
                    Nowhere($"'{walked}' is {(value.IsList ? "a [Repeat] of blocks" : "a block")}, not a layer; continue the path to the [Embedding] inside it");
                    return null;
                }

                return value.Layer;
            }

            foreach (IPropertySymbol property in children)
            {
                _cancellationToken.ThrowIfCancellationRequested();
                if (_nodes.Count > MaxExpandedLayers)
                {
                    Report(DiagnosticDescriptors.InvalidBlock, property.Locations.FirstOrDefault(), property.Name,
                        $"expands the network to more than {MaxExpandedLayers.ToString("N0", CultureInfo.InvariantCulture)} layers; repeat fewer blocks");
                    Unbound();
                    break;
                }

                var syntax = property.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(_cancellationToken) as PropertyDeclarationSyntax;
                Location? identifier = syntax?.Identifier.GetLocation() ?? property.Locations.FirstOrDefault();
                bool isShortcut = Blocks.Has(property, Blocks.ShortcutAttributeName);
                if (isShortcut && kind != ScopeKind.Residual)
                {
                    Report(DiagnosticDescriptors.InvalidBlock, AttributeLocation(property, Blocks.ShortcutAttributeName) ?? identifier, property.Name,
                        $"is a [Shortcut], which only a [Residual] block has; '{scope.Name}' is not one: declare it [Residual], or remove [Shortcut]");
                    isShortcut = false;
                }
                else if (isShortcut && shortcut is not null)
                {
                    Report(DiagnosticDescriptors.InvalidBlock, AttributeLocation(property, Blocks.ShortcutAttributeName) ?? identifier, property.Name,
                        $"is a second [Shortcut] of '{scope.Name}'; a residual block adds one shortcut: make the projection one [Sequential] block");
                    isShortcut = false;
                }

                int from = isShortcut ? input : current;
                AttributeData? fromAttribute = property.GetAttributes().FirstOrDefault(attribute => FullName(attribute.AttributeClass) == Blocks.FromAttributeName);
                if (fromAttribute is not null)
                {
                    if (fromAttribute.ConstructorArguments.Length != 1 || fromAttribute.ConstructorArguments[0].Kind == TypedConstantKind.Error)
                    {
                        Unbound();
                    }
                    else
                    {
                        var fromSyntax = fromAttribute.ApplicationSyntaxReference?.GetSyntax(_cancellationToken) as AttributeSyntax;
                        int? resolved = Resolve(fromAttribute.ConstructorArguments[0].Value as string, property, ArgumentLocation(fromSyntax, 0, "layer") ?? AttributeLocation(fromAttribute));
                        if (resolved is null)
                        {
                            Unbound();
                        }
                        else
                        {
                            from = resolved.Value;
                        }
                    }
                }

                string childModule = kind == ScopeKind.Sequential ? index.ToString(CultureInfo.InvariantCulture) : GeneratedNames.ModuleName(property.Name);
                string module = modulePrefix + childModule;
                string path = top ? property.Name : pathPrefix + property.Name;
                int output;
                var layerAttributes = property.GetAttributes().Where(attribute => LayerAttributes.ContainsKey(FullName(attribute.AttributeClass))).ToList();
                AttributeData? repeat = property.GetAttributes().FirstOrDefault(attribute => FullName(attribute.AttributeClass) == Blocks.RepeatAttributeName);
                if (layerAttributes.Count > 0)
                {
                    output = ParseLayerChild(property, syntax, layerAttributes, module, path, from, top, Resolve, ResolveTied, () => EmbeddingPath(values, children), out BlockValueModel value);
                    values.Add(value);
                }
                else if (repeat is not null)
                {
                    ITypeSymbol? element = Blocks.ListElement(property.Type);
                    ScopeKind? elementKind = Blocks.KindOf(element);
                    int count = repeat.ConstructorArguments.Length == 1 && repeat.ConstructorArguments[0].Value is int declared ? declared : 0;
                    bool implementable = CheckBlockProperty(property, syntax);
                    if (repeat.ConstructorArguments.Length != 1 || repeat.ConstructorArguments[0].Kind == TypedConstantKind.Error)
                    {
                        Unbound();
                        output = from;
                        count = 0;
                    }
                    else if (elementKind is null)
                    {
                        if (property.Type.TypeKind != TypeKind.Error && element?.TypeKind != TypeKind.Error)
                        {
                            Report(DiagnosticDescriptors.InvalidBlock, syntax?.Type.GetLocation() ?? identifier, property.Name,
                                $"is a [Repeat] of type '{property.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)}'; declare it as IReadOnlyList<TBlock> of a [Block], [Residual] or [Sequential] class");
                        }

                        Unbound();
                        output = from;
                        count = 0;
                    }
                    else if (count < 1)
                    {
                        var repeatSyntax = repeat.ApplicationSyntaxReference?.GetSyntax(_cancellationToken) as AttributeSyntax;
                        Report(DiagnosticDescriptors.InvalidBlock, ArgumentLocation(repeatSyntax, 0, "count") ?? AttributeLocation(repeat), property.Name,
                            $"repeats its block {count.ToString(CultureInfo.InvariantCulture)} times; the count must be at least 1");
                        Unbound();
                        output = from;
                        count = 0;
                    }
                    else
                    {
                        output = from;
                    }

                    var items = new List<BlockValueModel>();
                    for (int copy = 0; copy < count && !_layerUnbound; copy++)
                    {
                        string copyModule = kind == ScopeKind.Sequential
                            ? modulePrefix + (index + copy).ToString(CultureInfo.InvariantCulture)
                            : module + "." + copy.ToString(CultureInfo.InvariantCulture);
                        (output, BlockValueModel item) = ParseBlockUse((INamedTypeSymbol)element!, elementKind!.Value, copyModule, $"{path}_{copy.ToString(CultureInfo.InvariantCulture)}_", output, identifier);
                        items.Add(item);
                    }

                    index += Math.Max(count, 1) - 1;
                    var list = new BlockValueModel(-1, element?.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), items.ToEquatableArray(), IsList: true);
                    values.Add(list);
                    if (top)
                    {
                        AddBlockMember(property, syntax, list, implementable);
                    }
                }
                else
                {
                    var blockType = (INamedTypeSymbol)property.Type;
                    bool implementable = CheckBlockProperty(property, syntax);
                    (output, BlockValueModel value) = ParseBlockUse(blockType, Blocks.KindOf(blockType)!.Value, module, path + "_", from, identifier);
                    values.Add(value);
                    if (top)
                    {
                        AddBlockMember(property, syntax, value, implementable);
                    }
                }

                // Two children that PyTorch would register under one name (TN0015); a Sequential's are numbered.
                if (kind != ScopeKind.Sequential)
                {
                    if (moduleNames.TryGetValue(childModule, out string? earlier))
                    {
                        Report(DiagnosticDescriptors.DuplicateModuleName, identifier, earlier, property.Name, childModule);
                    }
                    else
                    {
                        moduleNames.Add(childModule, property.Name);
                    }
                }

                names[property.Name] = output;
                if (isShortcut)
                {
                    shortcut = output;
                }
                else
                {
                    current = output;
                }

                index++;
            }

            if (kind == ScopeKind.Residual)
            {
                AttributeData? residual = scope.GetAttributes().FirstOrDefault(attribute => FullName(attribute.AttributeClass) == Blocks.ResidualAttributeName);
                int activationValue = residual is null ? 0 : NamedInt(residual, "Activation", 0);
                var activation = Activation.Identity;
                Location? residualLocation = residual is null ? scopeSite : AttributeLocation(residual);
                if (!CheckJoinActivation(activationValue, scope.Name, "Residual", residual is null ? null : residual.ApplicationSyntaxReference?.GetSyntax(_cancellationToken) as AttributeSyntax, residualLocation, ref activation))
                {
                    activation = Activation.Identity;
                }

                string module = modulePrefix.TrimEnd('.');
                var add = new LayerModel(
                    pathPrefix + "Residual",
                    module,
                    "private",
                    "global::TypedNets.AddLayer",
                    LayerKind.Add,
                    Units: 0,
                    activation,
                    Rate: 0,
                    EquatableArray<int>.Empty,
                    EquatableArray<int>.Empty,
                    ParameterOffset: 0,
                    Inputs: new[] { current, shortcut ?? input }.ToEquatableArray(),
                    IsMember: false);
                _nodes.Add((add, new LayerSite(residualLocation, null, scopeSite, Implementable: false)));
                current = _nodes.Count - 1;
            }

            return (current, values);
        }

        private (int Output, BlockValueModel Value) ParseBlockUse(INamedTypeSymbol blockType, ScopeKind kind, string module, string pathPrefix, int input, Location? site)
        {
            if (_blockStack.Contains(blockType, SymbolEqualityComparer.Default))
            {
                Report(DiagnosticDescriptors.InvalidBlock, site, blockType.Name,
                    $"contains itself ({string.Join(" -> ", _blockStack.Reverse().Select(type => type.Name).Concat([blockType.Name]))}); a block cannot be part of itself");
                Unbound();
                return (input, new BlockValueModel(-1, blockType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), EquatableArray<BlockValueModel>.Empty, IsList: false));
            }

            _blockStack.Push(blockType);
            int first = _nodes.Count;
            (int output, List<BlockValueModel> values) = ParseScope(blockType, kind, module + ".", pathPrefix, input, site);
            _blockStack.Pop();

            // The emitter writes a block's code once and calls it for each use when its layers are one run ending at its output.
            bool contiguous = output == _nodes.Count - 1 && output >= first;
            return (output, new BlockValueModel(
                -1, blockType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), values.ToEquatableArray(), IsList: false,
                First: contiguous ? first : -1, Last: contiguous ? output : -2, Input: input, Path: pathPrefix, Module: module));
        }

        /// <summary>A layer property of a network or block: read as before, then placed with its inputs and its nested name.</summary>
        private int ParseLayerChild(
            IPropertySymbol property,
            PropertyDeclarationSyntax? syntax,
            List<AttributeData> layerAttributes,
            string module,
            string path,
            int from,
            bool top,
            Func<string?, IPropertySymbol, Location?, int?> resolve,
            Func<string?, IPropertySymbol, Location?, int?> resolveTied,
            Func<string?> embeddingPath,
            out BlockValueModel value)
        {
            AttributeData attribute = layerAttributes[0];
            for (int i = 1; i < layerAttributes.Count; i++)
            {
                Report(DiagnosticDescriptors.MultipleLayerAttributes, AttributeLocation(layerAttributes[i]), property.Name, ShortName(attribute), ShortName(layerAttributes[i]));
            }

            (LayerKind kind, string layerType) = LayerAttributes[FullName(attribute.AttributeClass)];
            var site = new LayerSite(
                AttributeLocation(attribute),
                attribute.ApplicationSyntaxReference?.GetSyntax(_cancellationToken) as AttributeSyntax,
                property.Locations.FirstOrDefault(),
                Implementable: CheckProperty(property, syntax, kind, layerType));

            LayerModel? layer = ParseLayer(property, attribute, kind, site);
            var inputs = new List<int> { from };
            if (layer is not null && !_layerUnbound && kind is LayerKind.Add or LayerKind.Concatenate)
            {
                inputs.Clear();
                if (kind == LayerKind.Add)
                {
                    inputs.Add(from);
                }

                IEnumerable<(string? Name, int Index)> references = kind == LayerKind.Add
                    ? [(attribute.ConstructorArguments[0].Value as string, 0)]
                    : attribute.ConstructorArguments.Take(2).Select((argument, i) => (argument.Value as string, i))
                        .Concat(attribute.ConstructorArguments.Length > 2 && !attribute.ConstructorArguments[2].IsNull
                            ? attribute.ConstructorArguments[2].Values.Select((argument, i) => (argument.Value as string, i + 2))
                            : []);
                foreach ((string? name, int index) in references)
                {
                    Location? location = ReferenceLocation(site.AttributeSyntax, index) ?? site.Attribute;
                    int? resolved = resolve(name, property, location);
                    if (resolved is null)
                    {
                        Unbound();
                    }
                    else
                    {
                        inputs.Add(resolved.Value);
                    }
                }
            }

            // TiedTo: an earlier Embedding of the same scope, or one inside an earlier block by its path (TN0040 when the
            // name is none of the scope's earlier layers, TN0063 when a path leads nowhere, TN0059 when it is a layer of
            // another kind), whose table the Dense uses as its weight.
            int tiedTo = -1;
            TypedConstant tiedName = attribute.NamedArguments.FirstOrDefault(argument => argument.Key == "TiedTo").Value;
            if (layer is not null && !_layerUnbound && kind == LayerKind.Dense && tiedName.Kind != TypedConstantKind.Error && !tiedName.IsNull)
            {
                Location? location = NamedArgumentLocation(site.AttributeSyntax, "TiedTo") ?? site.Attribute;
                string? name = tiedName.Value as string;
                bool isInput = name == Blocks.InputName;
                int? resolved = isInput ? -1 : resolveTied(name, property, location);
                if (resolved is null)
                {
                    Unbound();
                }
                else if (resolved.Value < 0 || _nodes[resolved.Value].Layer.Kind != LayerKind.Embedding)
                {
                    string scope = top ? "network" : "block";
                    string what = isInput ? $"the {scope}'s input, not a layer" : resolved.Value < 0 ? "the input" : $"a {ShapeInference.KindName(_nodes[resolved.Value].Layer.Kind)} layer";
                    string example;
                    if (name is not null && name.IndexOf('.') >= 0)
                    {
                        // A path: the example is the path of the first embedding of an earlier block.
                        scope += ", or one inside an earlier block by its path";
                        string? examplePath = embeddingPath();
                        example = examplePath is null ? "" : $", such as '{examplePath}'";
                    }
                    else
                    {
                        LayerModel? embedding = _nodes.Select(node => node.Layer).FirstOrDefault(node => node.Kind == LayerKind.Embedding);
                        example = embedding is null ? "" : $", such as '{embedding.Label}'";
                    }

                    Report(DiagnosticDescriptors.TiedToNotAnEmbedding, location, property.Name, name ?? "null", what, scope, example);
                    Unbound();
                }
                else
                {
                    tiedTo = resolved.Value;
                }
            }

            layer = (layer ?? new LayerModel(
                    property.Name, GeneratedNames.ModuleName(property.Name), DeclaredModifiers(property),
                    property.Type.ToDisplayString(FullyQualifiedWithNullability), kind, 0, Activation.Identity, 0,
                    EquatableArray<int>.Empty, EquatableArray<int>.Empty, 0))
                with { PropertyName = path, ModuleName = module, Inputs = inputs.ToEquatableArray(), IsMember = top, TiedTo = tiedTo };
            _nodes.Add((layer, site));
            if (top)
            {
                _members.Add((layer, site));
            }

            value = new BlockValueModel(_nodes.Count - 1, null, EquatableArray<BlockValueModel>.Empty, IsList: false);
            return _nodes.Count - 1;
        }

        /// <summary>
        /// The length of the network's <c>[TokenInput]</c>, or <see langword="null"/> when its input is features (or is
        /// declared twice, which TryParseInput reports).
        /// </summary>
        private int? TokenInputLength()
        {
            ImmutableArray<AttributeData> attributes = _type.GetAttributes();
            AttributeData? tokenInput = attributes.FirstOrDefault(attribute => FullName(attribute.AttributeClass) == TokenInputAttributeName);
            return tokenInput is not null && !attributes.Any(attribute => FullName(attribute.AttributeClass) == InputAttributeName)
                && tokenInput.ConstructorArguments.Length == 1 && tokenInput.ConstructorArguments[0].Value is int length
                ? length
                : null;
        }

        /// <summary>Whether a child can read token ids: an Embedding, or a block whose first child is one.</summary>
        private static bool ReadsTokens(IPropertySymbol property)
        {
            static LayerKind? LayerKindOf(IPropertySymbol property)
                => property.GetAttributes().Select(attribute => FullName(attribute.AttributeClass))
                    .Where(LayerAttributes.ContainsKey).Select(name => (LayerKind?)LayerAttributes[name].Kind).FirstOrDefault();

            if (LayerKindOf(property) is LayerKind kind)
            {
                return kind == LayerKind.Embedding;
            }

            return Blocks.KindOf(property.Type) is not null && Blocks.Children((INamedTypeSymbol)property.Type).FirstOrDefault() is { } first
                && LayerKindOf(first) == LayerKind.Embedding;
        }

        /// <summary>A child's kind as messages name it: its layer kind, or its block type.</summary>
        private static string ReaderKind(IPropertySymbol property)
            => property.GetAttributes().Select(attribute => FullName(attribute.AttributeClass)).Where(LayerAttributes.ContainsKey)
                .Select(name => ShapeInference.KindName(LayerAttributes[name].Kind)).FirstOrDefault()
                ?? property.Type.Name;

        /// <summary>The TiedTo path of the first Embedding inside a block among a scope's parsed children, as "Transformer.Wte".</summary>
        private string? EmbeddingPath(List<BlockValueModel> values, List<IPropertySymbol> children)
        {
            string? Find(BlockValueModel value, ITypeSymbol type, string path, int depth)
            {
                if (value.Layer >= 0)
                {
                    return depth > 0 && _nodes[value.Layer].Layer.Kind == LayerKind.Embedding ? path : null;
                }

                if (value.IsList)
                {
                    return value.Items.Length == 0 ? null : Find(value.Items[0], Blocks.ListElement(type) ?? type, path + ".0", depth + 1);
                }

                List<IPropertySymbol> members = type is INamedTypeSymbol block && Blocks.KindOf(block) is not null ? Blocks.Children(block) : [];
                for (int i = 0; i < members.Count && i < value.Items.Length; i++)
                {
                    if (Find(value.Items[i], members[i].Type, path + "." + members[i].Name, depth + 1) is string found)
                    {
                        return found;
                    }
                }

                return null;
            }

            for (int i = 0; i < values.Count && i < children.Count; i++)
            {
                if (Find(values[i], children[i].Type, children[i].Name, 0) is string found)
                {
                    return found;
                }
            }

            return null;
        }

        /// <summary>The location of the <paramref name="index"/>-th positional argument (a <c>params</c> one counts too).</summary>
        private static Location? ReferenceLocation(AttributeSyntax? attribute, int index)
        {
            var positional = attribute?.ArgumentList?.Arguments.Where(argument => argument.NameEquals is null && argument.NameColon is null).ToList();
            return positional is not null && index < positional.Count ? positional[index].Expression.GetLocation() : null;
        }

        /// <summary>Checks an activation after an addition: Softmax and the GELUs (which keep their pre-activation) are TN0026.</summary>
        private bool CheckJoinActivation(int value, string name, string what, AttributeSyntax? syntax, Location? fallback, ref Activation activation)
        {
            Location? location = NamedArgumentLocation(syntax, "Activation") ?? fallback;
            if (!Enum.IsDefined(typeof(Activation), value))
            {
                Report(DiagnosticDescriptors.UnknownActivation, location, name, Invariant(value));
                return false;
            }

            var kind = (Activation)value;
            if (kind is Activation.Softmax or Activation.GELU or Activation.GeluTanh)
            {
                Report(DiagnosticDescriptors.UnavailableActivation, location, name, what, kind.ToString(),
                    "use ReLU, LeakyReLU, Sigmoid, Tanh or no activation here");
                return false;
            }

            activation = kind;
            return true;
        }

        /// <summary>Checks how a block-typed property is declared, as a layer property is; returns whether the network can implement it.</summary>
        private bool CheckBlockProperty(IPropertySymbol property, PropertyDeclarationSyntax? syntax)
            => CheckProperty(property, syntax, LayerKind.Dense, FullName(property.Type));

        private void AddBlockMember(IPropertySymbol property, PropertyDeclarationSyntax? syntax, BlockValueModel value, bool implementable)
        {
            string propertyType = property.Type.ToDisplayString(FullyQualifiedWithNullability);
            _blockMembers.Add(new BlockMemberModel(property.Name, DeclaredModifiers(property), propertyType, value));

            // For the checks of generated names and the surface of an invalid network, which need only the property.
            var placeholder = new LayerModel(property.Name, GeneratedNames.ModuleName(property.Name), DeclaredModifiers(property), propertyType,
                LayerKind.Dense, 0, Activation.Identity, 0, EquatableArray<int>.Empty, EquatableArray<int>.Empty, 0, IsMember: true);
            _members.Add((placeholder, new LayerSite(null, null, syntax?.Identifier.GetLocation() ?? property.Locations.FirstOrDefault(), implementable)));
        }

        private Location? AttributeLocation(IPropertySymbol property, string attributeName)
        {
            AttributeData? attribute = property.GetAttributes().FirstOrDefault(candidate => FullName(candidate.AttributeClass) == attributeName);
            return attribute is null ? null : AttributeLocation(attribute);
        }
    }
}
