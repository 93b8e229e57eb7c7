global using Tangent.Engine.Primitives;
