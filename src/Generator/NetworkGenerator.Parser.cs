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
using TypedNets.Generator.Layers;
using TypedNets.Generator.Model;

namespace TypedNets.Generator;

public sealed partial class NetworkGenerator
{
    /// <summary>
    /// Turns a <c>[Network]</c> class into a <see cref="NetworkModel"/> and its diagnostics. Symbols and syntax are
    /// read here and nowhere else; what leaves is plain data.
    /// </summary>
    internal sealed partial class Parser
    {
        private const string InputAttributeName = "TypedNets.InputAttribute";
        private const string LossAttributeName = "TypedNets.LossAttribute";
        private const string TokenInputAttributeName = "TypedNets.TokenInputAttribute";
        private const string EmbeddedWeightsAttributeName = "TypedNets.EmbeddedWeightsAttribute";

        // Each kind's attribute, and the runtime layer type its property must have, from the kind's rule.
        private static readonly Dictionary<string, (LayerKind Kind, string LayerType)> LayerAttributes = LayerRule.All
            .ToDictionary(rule => rule.AttributeName, rule => (rule.Kind, "TypedNets." + rule.RuntimeType));

        private readonly INamedTypeSymbol _type;
        private readonly TypeDeclarationSyntax _declaration;
        private readonly CancellationToken _cancellationToken;
        private readonly List<DiagnosticInfo> _diagnostics = [];
        private bool _unresolved;
        private bool _layerUnbound;

        // Generated names a user member or layer already has (each a TN0011); an invalid network's surface leaves them out.
        private readonly SortedSet<string> _taken = new(StringComparer.Ordinal);

        // Layer properties declared with accessors other than a lone get (each a TN0012), as "Name get set": an
        // invalid network's surface implements them with the same accessors.
        private readonly List<string> _accessors = [];

        /// <summary>The constructor's entry in the taken names.</summary>
        internal const string ConstructorName = ".ctor";

        private Parser(INamedTypeSymbol type, TypeDeclarationSyntax declaration, CancellationToken cancellationToken)
        {
            _type = type;
            _declaration = declaration;
            _cancellationToken = cancellationToken;
        }

        /// <summary>The transform of the pipeline. It never throws but for cancellation.</summary>
        public static NetworkInfo Transform(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            if (context.TargetSymbol is not INamedTypeSymbol type || context.TargetNode is not TypeDeclarationSyntax declaration)
            {
                return new NetworkInfo(null, EquatableArray<DiagnosticInfo>.Empty);
            }

            // [Network] on two partial declarations (an error the compiler reports) must still yield one model.
            if (!IsFirstNetworkDeclaration(type, declaration, cancellationToken))
            {
                return new NetworkInfo(null, EquatableArray<DiagnosticInfo>.Empty);
            }

            try
            {
                return new Parser(type, declaration, cancellationToken).Parse();
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                var failure = DiagnosticInfo.Create(
                    DiagnosticDescriptors.InternalError,
                    declaration.Identifier.GetLocation(),
                    type.Name,
                    $"{exception.GetType().Name}: {exception.Message}");
                return new NetworkInfo(Fallback(type, declaration, cancellationToken), new[] { failure }.ToEquatableArray());
            }
        }

        /// <summary>
        /// After a failure of the parser itself, a model read from the symbol alone: the declared partial properties
        /// and nothing of their layers, so that the network still gets its surface and TN0999 is the only error.
        /// </summary>
        private static NetworkModel? Fallback(INamedTypeSymbol type, TypeDeclarationSyntax declaration, CancellationToken cancellationToken)
        {
            try
            {
                if (!declaration.Modifiers.Any(SyntaxKind.PartialKeyword) || type.IsStatic || type.IsFileLocal || type.TypeKind is not (TypeKind.Class or TypeKind.Struct))
                {
                    return null;
                }

                var parser = new Parser(type, declaration, cancellationToken);

                var layers = new List<LayerModel>();
                foreach (IPropertySymbol property in parser.PropertiesInSourceOrder())
                {
                    var syntax = property.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) as PropertyDeclarationSyntax;
                    bool declarationOnly = syntax is { ExpressionBody: null, AccessorList: { } accessors }
                        && syntax.Modifiers.Any(SyntaxKind.PartialKeyword)
                        && accessors.Accessors.Count > 0
                        && accessors.Accessors.All(accessor => accessor.Body is null && accessor.ExpressionBody is null);
                    if (!declarationOnly || property.PartialImplementationPart is not null || property.Type.TypeKind == TypeKind.Error || property.IsIndexer)
                    {
                        continue;
                    }

                    if (!(property.GetMethod is not null && property.SetMethod is null))
                    {
                        parser._accessors.Add(property.Name + " " + string.Join(" ", syntax!.AccessorList!.Accessors.Select(accessor => accessor.Keyword.ValueText)));
                    }

                    layers.Add(new LayerModel(
                        property.Name,
                        GeneratedNames.ModuleName(property.Name),
                        parser.DeclaredModifiers(property),
                        property.Type.ToDisplayString(FullyQualifiedWithNullability),
                        LayerKind.Dense,
                        Units: 0,
                        Activation.Identity,
                        Rate: 0,
                        EquatableArray<int>.Empty,
                        EquatableArray<int>.Empty,
                        ParameterOffset: 0));
                }

                return new NetworkModel(
                    type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString(),
                    type.Name,
                    parser.ContainingTypeHeaders(),
                    EquatableArray<int>.Empty,
                    TokenInput: false,
                    layers.ToEquatableArray(),
                    ParameterCount: 0,
                    Loss: null,
                    IsValid: false,
                    ErrorIds: new[] { DiagnosticDescriptors.InternalError.Id }.ToEquatableArray(),
                    TakenNames: type.GetMembers()
                        .Where(member => !member.IsImplicitlyDeclared && GeneratedNames.Members.ContainsKey(member.Name))
                        .Select(member => member.Name)
                        .Distinct()
                        .OrderBy(name => name, StringComparer.Ordinal)
                        .ToEquatableArray(),
                    TypeHeader: $"partial {TypeKeyword(type)} {Emitter.Identifier(type.Name)}{TypeParameterList(type)}",
                    LayerAccessors: parser._accessors.ToEquatableArray());
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                return null;
            }
        }

        private static bool IsFirstNetworkDeclaration(INamedTypeSymbol type, TypeDeclarationSyntax declaration, CancellationToken cancellationToken)
        {
            SyntaxNode? first = type.GetAttributes()
                .Where(attribute => FullName(attribute.AttributeClass) == NetworkAttributeName)
                .Select(attribute => attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken))
                .Where(node => node is not null)
                .OrderBy(node => node!.SyntaxTree.FilePath, StringComparer.Ordinal)
                .ThenBy(node => node!.SpanStart)
                .FirstOrDefault();
            return first is null || declaration.AttributeLists.Any(list => list.Attributes.Contains(first));
        }

        private NetworkInfo Parse()
        {
            // A class without a name is a syntax error the compiler reports, and there is nothing to extend. A mistake
            // in the type itself still gets the network's surface (Emitter.EmitInvalidNetwork) unless the type cannot
            // take a generated part at all.
            if (_declaration.Identifier.IsMissing || _type.Name.Length == 0 || !CheckTypeKind())
            {
                return Result(null);
            }

            CheckPartial();

            bool hasInput = TryParseInput(out EquatableArray<int> inputShape, out bool tokenInput);
            LossModel? loss = ParseLoss(out Location? lossLocation);
            EmbeddedWeightsRequest? embeddedWeights = ParseEmbeddedWeights();
            List<(LayerModel Layer, LayerSite Site)> layers = ParseLayers();
            CheckGeneratedNameClashes(_members);
            CheckInheritedClashes();

            if (layers.Count == 0 && _members.Count == 0 && !_unresolved)
            {
                Report(DiagnosticDescriptors.NoLayers, _declaration.Identifier.GetLocation(), _type.Name);
            }

            var inferred = layers.Select(entry => entry.Layer).ToList();

            // A layer the compiler could not bind has no sizes: shapes after it are unknown, and checking them would
            // report mistakes the user did not make.
            if (hasInput && layers.Count > 0 && !_layerUnbound)
            {
                ShapeInference.Result result = ShapeInference.Infer(inputShape, tokenInput, inferred);
                inferred = result.Layers;
                foreach (ShapeInference.Problem problem in result.Problems)
                {
                    if (problem.Descriptor == DiagnosticDescriptors.TokensWithoutEmbedding)
                    {
                        problem.Arguments[0] = _type.Name;
                    }

                    LayerSite site = layers[problem.LayerIndex].Site;
                    Report(problem.Descriptor, site.Attribute, problem.Arguments);
                }

                if (loss is not null)
                {
                    foreach (ShapeInference.Problem problem in ShapeInference.CheckLoss(loss, inferred))
                    {
                        Report(problem.Descriptor, lossLocation, problem.Arguments);
                    }
                }
            }

            bool isValid = !_unresolved && !_diagnostics.Any(diagnostic => diagnostic.Descriptor.DefaultSeverity == DiagnosticSeverity.Error);
            // An invalid network's surface implements the network's own properties: its layers and its blocks.
            var implementable = _members.Where(member => member.Site.Implementable).Select(member => member.Layer).ToList();
            var model = new NetworkModel(
                _type.ContainingNamespace.IsGlobalNamespace ? null : _type.ContainingNamespace.ToDisplayString(),
                _type.Name,
                ContainingTypeHeaders(),
                inputShape,
                tokenInput,
                (isValid ? inferred : implementable).ToEquatableArray(),
                isValid ? inferred.Sum(layer => layer.ParameterCount) : 0,
                loss,
                isValid,
                // An invalid network still gets the [EmbeddedWeights] members (throwing), so that calls to them compile.
                EmbeddedWeights: isValid || embeddedWeights is null ? null : new EmbeddedWeightsModel(embeddedWeights.FileName, EquatableArray<byte>.Empty, IsValid: false),
                ErrorIds: isValid
                    ? EquatableArray<string>.Empty
                    : _diagnostics
                        .Where(diagnostic => diagnostic.Descriptor.DefaultSeverity == DiagnosticSeverity.Error)
                        .Select(diagnostic => diagnostic.Descriptor.Id)
                        .Distinct()
                        .OrderBy(id => id, StringComparer.Ordinal)
                        .ToEquatableArray(),
                TakenNames: isValid ? EquatableArray<string>.Empty : _taken.ToEquatableArray(),
                TypeHeader: $"partial {TypeKeyword(_type)} {Emitter.Identifier(_type.Name)}{TypeParameterList(_type)}",
                LayerAccessors: _accessors.ToEquatableArray(),
                Blocks: isValid ? _blockMembers.ToEquatableArray() : EquatableArray<BlockMemberModel>.Empty);
            return Result(model) with { EmbeddedWeights = embeddedWeights };
        }

        private NetworkInfo Result(NetworkModel? model) => new(model, _diagnostics.ToEquatableArray());

        private bool CheckTypeKind()
        {
            string? problem = null;
            bool extendable = true;
            if (_type.TypeKind != TypeKind.Class || _type.IsRecord)
            {
                problem = "a network must be a class, not a record or struct";
                extendable = _type.TypeKind is TypeKind.Class or TypeKind.Struct;
            }
            else if (_type.IsStatic)
            {
                // A static class can have no instance member, so there is no surface to give it.
                problem = "a network is instantiated and cannot be static";
                extendable = false;
            }
            else if (_type.TypeParameters.Length > 0)
            {
                problem = "a network cannot be generic; its sizes are fixed at compile time";
            }
            else if (ContainingTypes().Any(container => container.TypeParameters.Length > 0))
            {
                problem = "a network cannot be nested inside a generic type";
            }
            else if (ContainingTypes().Any(container => container.TypeKind != TypeKind.Class || container.IsRecord))
            {
                problem = "a network can be nested only inside classes";
            }
            else if (_type.IsFileLocal)
            {
                problem = "a file-local type cannot be extended by a generated file; remove 'file'";
                extendable = false;
            }
            else if (_type.DeclaringSyntaxReferences.Any(reference => reference.GetSyntax(_cancellationToken) is ClassDeclarationSyntax { ParameterList: not null }))
            {
                problem = "TypedNets generates the network's constructors, so it cannot have a primary constructor";
                _taken.Add(ConstructorName);
            }
            else if (_type.BaseType is { SpecialType: not SpecialType.System_Object } baseType && !HasParameterlessConstructor(baseType))
            {
                problem = $"its base class '{baseType.Name}' has no accessible parameterless constructor for the generated constructor to call";
                _taken.Add(ConstructorName);
            }
            else if (GeneratedNames.Members.ContainsKey(_type.Name))
            {
                problem = $"its name is taken by {GeneratedNames.Members[_type.Name]} that TypedNets generates inside it; rename the class";
                _taken.Add(_type.Name);
            }

            if (problem is not null)
            {
                Report(DiagnosticDescriptors.UnsupportedNetworkType, _declaration.Identifier.GetLocation(), _type.Name, problem);
            }

            return extendable;
        }

        private static bool HasParameterlessConstructor(INamedTypeSymbol type)
            => type.InstanceConstructors.Any(constructor =>
                constructor.DeclaredAccessibility is not Accessibility.Private
                && constructor.Parameters.All(parameter => parameter.IsOptional || parameter.IsParams));

        private bool CheckPartial()
        {
            if (!_declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                Report(DiagnosticDescriptors.NetworkNotPartial, _declaration.Identifier.GetLocation(), _type.Name, string.Empty);
                return false;
            }

            foreach (INamedTypeSymbol container in ContainingTypes())
            {
                bool partial = container.DeclaringSyntaxReferences.All(reference =>
                    reference.GetSyntax(_cancellationToken) is TypeDeclarationSyntax syntax && syntax.Modifiers.Any(SyntaxKind.PartialKeyword));
                if (!partial)
                {
                    Location? location = container.DeclaringSyntaxReferences
                        .Select(reference => reference.GetSyntax(_cancellationToken))
                        .OfType<TypeDeclarationSyntax>()
                        .FirstOrDefault(syntax => !syntax.Modifiers.Any(SyntaxKind.PartialKeyword))?
                        .Identifier.GetLocation();
                    Report(DiagnosticDescriptors.NetworkNotPartial, location, container.Name, $" because it encloses network '{_type.Name}'");
                    return false;
                }
            }

            return true;
        }

        private bool TryParseInput(out EquatableArray<int> shape, out bool tokens)
        {
            shape = EquatableArray<int>.Empty;
            AttributeData? input = _type.GetAttributes().FirstOrDefault(attribute => FullName(attribute.AttributeClass) == InputAttributeName);
            AttributeData? tokenInput = _type.GetAttributes().FirstOrDefault(attribute => FullName(attribute.AttributeClass) == TokenInputAttributeName);
            tokens = input is null && tokenInput is not null;
            if (input is not null && tokenInput is not null)
            {
                Report(DiagnosticDescriptors.TwoInputs, AttributeLocation(tokenInput), _type.Name);
                return false;
            }

            if (tokenInput is not null)
            {
                if (tokenInput.ConstructorArguments.Length != 1 || tokenInput.ConstructorArguments[0].Value is not int length)
                {
                    return Unresolved();
                }

                shape = new[] { length }.ToEquatableArray();
                if (length <= 0)
                {
                    Report(DiagnosticDescriptors.InvalidInputShape, AttributeLocation(tokenInput), _type.Name, ShapeMath.Format(shape), "every dimension must be positive");
                    return false;
                }

                return true;
            }

            if (input is null)
            {
                Report(DiagnosticDescriptors.MissingInput, _declaration.Identifier.GetLocation(), _type.Name);
                return false;
            }

            if (input.ConstructorArguments.Length != 1 || input.ConstructorArguments[0].Kind != TypedConstantKind.Array)
            {
                return Unresolved();
            }

            var dimensions = new List<int>();
            ImmutableArray<TypedConstant> values = input.ConstructorArguments[0].IsNull ? ImmutableArray<TypedConstant>.Empty : input.ConstructorArguments[0].Values;
            foreach (TypedConstant value in values)
            {
                if (value.Value is not int dimension)
                {
                    return Unresolved();
                }

                dimensions.Add(dimension);
            }

            shape = dimensions.ToEquatableArray();
            string? problem = dimensions.Count == 0 || dimensions.Count > 3
                ? $"a sample has one to three dimensions ([features], [steps, features] or [channels, height, width]), not {dimensions.Count}"
                : dimensions.Any(dimension => dimension <= 0)
                    ? "every dimension must be positive"
                    : dimensions.Aggregate(1L, (product, dimension) => product * dimension) > int.MaxValue
                        ? "one sample would hold more than 2,147,483,647 elements"
                        : null;
            if (problem is not null)
            {
                Report(DiagnosticDescriptors.InvalidInputShape, AttributeLocation(input), _type.Name, ShapeMath.Format(shape), problem);
                return false;
            }

            return true;
        }

        private LossModel? ParseLoss(out Location? location)
        {
            location = null;
            AttributeData? attribute = _type.GetAttributes().FirstOrDefault(candidate => FullName(candidate.AttributeClass) == LossAttributeName);
            if (attribute is null)
            {
                return null;
            }

            location = AttributeLocation(attribute);
            if (attribute.AttributeConstructor is null
                || attribute.ConstructorArguments.Length != 1
                || attribute.ConstructorArguments[0].Value is not int kind
                || attribute.NamedArguments.Any(argument => argument.Value.Kind == TypedConstantKind.Error))
            {
                Unresolved();
                return null;
            }

            var syntax = attribute.ApplicationSyntaxReference?.GetSyntax(_cancellationToken) as AttributeSyntax;
            if (!Enum.IsDefined(typeof(LossKind), kind))
            {
                Report(DiagnosticDescriptors.UnknownLoss, ArgumentLocation(syntax, 0, "kind") ?? location, _type.Name, Invariant(kind));
                return null;
            }

            double delta = NamedDouble(attribute, "Delta", 1.0);
            if (kind == (int)LossKind.Huber && (!(delta > 0) || double.IsInfinity(delta)))
            {
                Report(DiagnosticDescriptors.InvalidLossParameter, NamedArgumentLocation(syntax, "Delta") ?? location, delta.ToString("R", CultureInfo.InvariantCulture));
            }

            // An attribute property cannot be nullable, so "not set" is the argument's absence, as the attribute itself records.
            int? ignoreIndex = HasNamed(attribute, "IgnoreIndex") ? NamedInt(attribute, "IgnoreIndex", 0) : null;
            if (ignoreIndex is int ignored && kind != (int)LossKind.CrossEntropy)
            {
                // The whole argument, not its value: the fix is to drop it.
                Location? argument = syntax?.ArgumentList?.Arguments
                    .FirstOrDefault(candidate => candidate.NameEquals?.Name.Identifier.ValueText == "IgnoreIndex")?.GetLocation();
                Report(DiagnosticDescriptors.IgnoreIndexWithoutClassTargets, argument ?? location, ((LossKind)kind).ToString(), Invariant(ignored));
            }

            return new LossModel((LossKind)kind, delta, ignoreIndex);
        }

        /// <summary>
        /// The file named by <c>[EmbeddedWeights]</c> and where the attribute is. The file itself is checked later, once
        /// the pipeline has joined the network with the project's additional files.
        /// </summary>
        private EmbeddedWeightsRequest? ParseEmbeddedWeights()
        {
            AttributeData? attribute = _type.GetAttributes().FirstOrDefault(candidate => FullName(candidate.AttributeClass) == EmbeddedWeightsAttributeName);
            if (attribute is null)
            {
                return null;
            }

            if (attribute.AttributeConstructor is null
                || attribute.ConstructorArguments.Length != 1
                || attribute.ConstructorArguments[0].Kind == TypedConstantKind.Error
                || attribute.NamedArguments.Any(argument => argument.Value.Kind == TypedConstantKind.Error))
            {
                Unresolved();
                return null;
            }

            return new EmbeddedWeightsRequest(
                attribute.ConstructorArguments[0].Value as string ?? string.Empty,
                DiagnosticSite.From(AttributeLocation(attribute)),
                NamedBool(attribute, "AllowNonFinite"),
                (EmbeddedQuantization)NamedInt(attribute, "Quantization", 0));
        }

        private List<(LayerModel Layer, LayerSite Site)> ParseLayers()
        {
            ParseScope(_type, ScopeKind.Network, modulePrefix: "", pathPrefix: "", input: -1, _declaration.Identifier.GetLocation());
            return _nodes;
        }

        /// <summary>Checks how the property is declared; returns whether the emitter can implement it.</summary>
        private bool CheckProperty(IPropertySymbol property, PropertyDeclarationSyntax? syntax, LayerKind kind, string layerType)
        {
            Location? identifier = syntax?.Identifier.GetLocation() ?? property.Locations.FirstOrDefault();
            string accessibility = AccessibilityKeywords(property.DeclaredAccessibility);
            string shortType = layerType.Substring(layerType.LastIndexOf('.') + 1);
            bool partial = syntax is not null && syntax.Modifiers.Any(SyntaxKind.PartialKeyword);
            bool getterOnly = !property.IsStatic && !property.IsIndexer && property.GetMethod is not null && property.SetMethod is null;

            if (!getterOnly)
            {
                string suggestedName = property.IsIndexer ? "Layer" : property.Name;
                Report(DiagnosticDescriptors.InvalidLayerProperty, identifier, property.Name, accessibility, shortType, suggestedName);
            }
            else if (!partial)
            {
                Report(DiagnosticDescriptors.LayerNotPartial, identifier, property.Name, accessibility, shortType);
            }

            if (partial && property.PartialImplementationPart is not null)
            {
                Report(DiagnosticDescriptors.LayerImplemented, property.PartialImplementationPart.Locations.FirstOrDefault() ?? identifier, property.Name);
                partial = false;
            }

            bool typeKnown = property.Type.TypeKind != TypeKind.Error;
            if (typeKnown && FullName(property.Type) != layerType)
            {
                Report(
                    DiagnosticDescriptors.WrongLayerType,
                    syntax?.Type.GetLocation() ?? identifier,
                    property.Name,
                    kind.ToString(),
                    shortType,
                    property.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat));
            }

            // A property with no accessor at all (a syntax error the compiler reports) cannot be implemented.
            bool hasAccessor = property.GetMethod is not null || property.SetMethod is not null;
            if (partial && !getterOnly && !property.IsIndexer && hasAccessor)
            {
                var accessors = new List<string>();
                if (property.GetMethod is not null)
                {
                    accessors.Add("get");
                }

                if (property.SetMethod is not null)
                {
                    accessors.Add(property.SetMethod.IsInitOnly ? "init" : "set");
                }

                _accessors.Add(property.Name + " " + string.Join(" ", accessors));
            }

            return partial && typeKnown && !property.IsIndexer && hasAccessor;
        }

        private LayerModel? ParseLayer(IPropertySymbol property, AttributeData attribute, LayerKind kind, LayerSite site)
        {
            ImmutableArray<TypedConstant> arguments = attribute.ConstructorArguments;
            if (attribute.AttributeConstructor is null
                || arguments.Any(argument => argument.Kind == TypedConstantKind.Error)
                || attribute.NamedArguments.Any(argument => argument.Value.Kind == TypedConstantKind.Error))
            {
                // The compiler reports the malformed attribute (a misspelt argument, say) itself. The layer stays in
                // the model with no sizes, so that its property is still implemented and that error is the only one.
                Unresolved();
                _layerUnbound = true;
                return new LayerModel(
                    property.Name,
                    GeneratedNames.ModuleName(property.Name),
                    DeclaredModifiers(property),
                    property.Type.ToDisplayString(FullyQualifiedWithNullability),
                    kind,
                    Units: 0,
                    Activation.Identity,
                    Rate: 0,
                    EquatableArray<int>.Empty,
                    EquatableArray<int>.Empty,
                    ParameterOffset: 0);
            }

            var declared = new LayerModel(
                property.Name,
                GeneratedNames.ModuleName(property.Name),
                DeclaredModifiers(property),
                property.Type.ToDisplayString(FullyQualifiedWithNullability),
                kind,
                Units: 0,
                Activation.Identity,
                Rate: 0,
                EquatableArray<int>.Empty,
                EquatableArray<int>.Empty,
                ParameterOffset: 0,
                ReturnSequences: NamedBool(attribute, "ReturnSequences"),
                MaskZero: NamedBool(attribute, "MaskZero"),
                HasBias: NamedBool(attribute, "Bias", fallback: true));
            return ArgumentReaders.TryGetValue(kind, out Func<Parser, LayerAttribute, LayerModel, LayerModel>? read)
                ? read(this, new LayerAttribute(property, attribute, kind, site), declared)
                : declared;
        }

        private void CheckGeneratedNameClashes(List<(LayerModel Layer, LayerSite Site)> layers)
        {
            var layerNames = new HashSet<string>(layers.Select(entry => entry.Layer.PropertyName));
            var generated = new Dictionary<string, string>(GeneratedNames.Members);
            foreach ((LayerModel layer, _) in layers)
            {
                generated[GeneratedNames.LayerField(layer.PropertyName)] = $"the private field {GeneratedNames.LayerField(layer.PropertyName)}";
            }

            foreach ((LayerModel layer, LayerSite site) in layers)
            {
                if (layer.PropertyName == _type.Name)
                {
                    Report(DiagnosticDescriptors.ReservedName, site.Identifier, layer.PropertyName, _type.Name, "the constructor");
                }
                else if (generated.TryGetValue(layer.PropertyName, out string? what))
                {
                    _taken.Add(layer.PropertyName);
                    Report(DiagnosticDescriptors.ReservedName, site.Identifier, layer.PropertyName, _type.Name, what);
                }
            }

            // A user method may overload a generated method; any other pairing of a user member and a generated one of
            // the same name cannot compile. Engine<T> has arity 1, so a user's non-generic Engine can coexist with it.
            foreach (ISymbol member in _type.GetMembers())
            {
                if (member.IsImplicitlyDeclared || layerNames.Contains(member.Name))
                {
                    continue;
                }

                if (member is IMethodSymbol { MethodKind: MethodKind.Constructor } constructor && GeneratedNames.IsGeneratedConstructor(ParameterTypeNames(constructor)))
                {
                    _taken.Add(ConstructorName);
                    Report(DiagnosticDescriptors.ReservedName, member.Locations.FirstOrDefault(), _type.Name + "(int, ulong)", _type.Name, "the constructor (int maxBatch, ulong seed)");
                    continue;
                }

                if (member is IMethodSymbol { MethodKind: MethodKind.Ordinary } method
                    && GeneratedNames.IsGeneratedSignature(method.Name, ParameterTypeNames(method)))
                {
                    _taken.Add(member.Name);
                    Report(DiagnosticDescriptors.ReservedName, member.Locations.FirstOrDefault(), member.Name, _type.Name, $"the method {member.Name} with the same parameters");
                    continue;
                }

                bool overloads = member is IMethodSymbol { MethodKind: MethodKind.Ordinary } && GeneratedNames.Methods.Contains(member.Name);
                bool otherArity = member is INamedTypeSymbol { Arity: not 1 } && member.Name == GeneratedNames.Engine;
                if (!overloads && !otherArity && generated.TryGetValue(member.Name, out string? what))
                {
                    _taken.Add(member.Name);
                    Report(DiagnosticDescriptors.ReservedName, member.Locations.FirstOrDefault(), member.Name, _type.Name, what);
                }
            }
        }

        private void CheckInheritedClashes()
        {
            for (INamedTypeSymbol? baseType = _type.BaseType; baseType is { SpecialType: not SpecialType.System_Object }; baseType = baseType.BaseType)
            {
                foreach (ISymbol member in baseType.GetMembers())
                {
                    if (member.DeclaredAccessibility != Accessibility.Private && !member.IsImplicitlyDeclared
                        && member is not IMethodSymbol { MethodKind: not MethodKind.Ordinary }
                        && GeneratedNames.Members.TryGetValue(member.Name, out string? what))
                    {
                        _taken.Add(member.Name);
                        Report(
                            DiagnosticDescriptors.ReservedName,
                            _declaration.Identifier.GetLocation(),
                            $"{baseType.Name}.{member.Name}",
                            _type.Name,
                            what);
                        return;
                    }
                }
            }
        }

        private static string[] ParameterTypeNames(IMethodSymbol method)
            => method.Parameters.Select(parameter => parameter.Type.Name).ToArray();

        private IEnumerable<IPropertySymbol> PropertiesInSourceOrder()
            => _type.GetMembers()
                .OfType<IPropertySymbol>()
                .Where(property => property.Locations.Length > 0 && property.Locations[0].IsInSource)
                .OrderBy(property => property.Locations[0].SourceTree?.FilePath, StringComparer.Ordinal)
                .ThenBy(property => property.Locations[0].SourceSpan.Start);

        private IEnumerable<INamedTypeSymbol> ContainingTypes()
        {
            for (INamedTypeSymbol? container = _type.ContainingType; container is not null; container = container.ContainingType)
            {
                yield return container;
            }
        }

        // The kind and type parameters as declared: a valid network's containers are always plain classes, and an
        // invalid one's surface must extend whatever the user declared.
        private EquatableArray<string> ContainingTypeHeaders()
            => ContainingTypes().Reverse().Select(container => $"partial {TypeKeyword(container)} {Emitter.Identifier(container.Name)}{TypeParameterList(container)}").ToEquatableArray();

        private static string TypeKeyword(INamedTypeSymbol type)
            => type.IsRecord ? (type.TypeKind == TypeKind.Struct ? "record struct" : "record") : type.TypeKind == TypeKind.Struct ? "struct" : "class";

        private static string TypeParameterList(INamedTypeSymbol type)
            => type.TypeParameters.Length == 0 ? string.Empty : "<" + string.Join(", ", type.TypeParameters.Select(parameter => Emitter.Identifier(parameter.Name))) + ">";

        private bool Unresolved()
        {
            // The network cannot be generated, but the compiler already reports why (a malformed attribute).
            _unresolved = true;
            return false;
        }

        private void Report(DiagnosticDescriptor descriptor, Location? location, params string[] arguments)
            => _diagnostics.Add(DiagnosticInfo.Create(descriptor, location, arguments));

        private Location? AttributeLocation(AttributeData attribute)
            => attribute.ApplicationSyntaxReference?.GetSyntax(_cancellationToken).GetLocation() ?? _declaration.Identifier.GetLocation();

        private static bool HasNamed(AttributeData attribute, string name)
            => attribute.NamedArguments.Any(argument => argument.Key == name);

        private static int NamedInt(AttributeData attribute, string name, int fallback)
        {
            foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
            {
                if (argument.Key == name && argument.Value.Value is int value)
                {
                    return value;
                }
            }

            return fallback;
        }

        private static bool NamedBool(AttributeData attribute, string name)
            => attribute.NamedArguments.Any(argument => argument.Key == name && argument.Value.Value is true);

        private static bool NamedBool(AttributeData attribute, string name, bool fallback)
        {
            foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
            {
                if (argument.Key == name && argument.Value.Value is bool value)
                {
                    return value;
                }
            }

            return fallback;
        }

        private static double NamedDouble(AttributeData attribute, string name, double fallback)
        {
            foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
            {
                if (argument.Key == name && argument.Value.Value is double value)
                {
                    return value;
                }
            }

            return fallback;
        }

        private static Location? NamedArgumentLocation(AttributeSyntax? attribute, string name)
            => attribute?.ArgumentList?.Arguments
                .FirstOrDefault(argument => argument.NameEquals?.Name.Identifier.ValueText == name)?
                .Expression.GetLocation();

        private static Location? ArgumentLocation(AttributeSyntax? attribute, int index, string parameterName)
            => new LayerSite(null, attribute, null, false).Argument(index, parameterName);

        private static string FullName(ITypeSymbol? type)
            => type is null ? string.Empty : type.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat);

        private static string ShortName(AttributeData attribute)
        {
            string name = attribute.AttributeClass?.Name ?? "?";
            return name.EndsWith("Attribute", StringComparison.Ordinal) ? name.Substring(0, name.Length - "Attribute".Length) : name;
        }

        private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

        private static readonly SymbolDisplayFormat FullyQualifiedWithNullability =
            SymbolDisplayFormat.FullyQualifiedFormat.AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

        /// <summary>The modifiers before <c>partial</c>, as written: the implementing part must repeat them exactly.</summary>
        private string DeclaredModifiers(IPropertySymbol property)
        {
            var syntax = property.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(_cancellationToken) as PropertyDeclarationSyntax;
            return syntax is null
                ? AccessibilityKeywords(property.DeclaredAccessibility)
                : string.Join(" ", syntax.Modifiers.Where(modifier => !modifier.IsKind(SyntaxKind.PartialKeyword)).Select(modifier => modifier.Text));
        }

        private static string AccessibilityKeywords(Accessibility accessibility) => accessibility switch
        {
            Accessibility.Public => "public",
            Accessibility.Internal => "internal",
            Accessibility.Protected => "protected",
            Accessibility.ProtectedOrInternal => "protected internal",
            Accessibility.ProtectedAndInternal => "private protected",
            _ => "private",
        };
    }

    /// <summary>Where a layer is declared, kept beside the model (never inside it) for the diagnostics of shape inference.</summary>
    internal sealed record LayerSite(Location? Attribute, AttributeSyntax? AttributeSyntax, Location? Identifier, bool Implementable)
    {
        /// <summary>The location of the argument given for a constructor parameter, by position or by name, or else the attribute's.</summary>
        public Location? Argument(int index, string parameterName)
        {
            SeparatedSyntaxList<AttributeArgumentSyntax>? arguments = AttributeSyntax?.ArgumentList?.Arguments;
            if (arguments is null)
            {
                return Attribute;
            }

            int position = 0;
            foreach (AttributeArgumentSyntax argument in arguments.Value)
            {
                if (argument.NameColon?.Name.Identifier.ValueText == parameterName)
                {
                    return argument.Expression.GetLocation();
                }

                if (argument.NameColon is null && argument.NameEquals is null)
                {
                    if (position == index)
                    {
                        return argument.Expression.GetLocation();
                    }

                    position++;
                }
            }

            return Attribute;
        }
    }
}
