global using Tangent.Engine.Primitives;
global using Tangent.Tests.Shared;
