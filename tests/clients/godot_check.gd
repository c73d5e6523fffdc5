# Godot 3 loads an exported GLB as a game would and prints what it made, one line: GODOT_JSON {...}:
# every node's path and type; for a MeshInstance its triangles, normals, UVs, world bounds, metallic
# and occlusion map; for a CollisionShape its shape. The editor's glTF importer must have run first
# (tests/test_clients.py runs `godot3 --path PROJECT --editor` until the import is written).
# Usage: godot3 --path PROJECT --script godot_check.gd   (every PROJECT/*.glb; this file there too)
extends SceneTree


func _corners(aabb):
	var out = []
	for i in range(8):
		out.append(aabb.get_endpoint(i))
	return out


func _walk(node, parent_path, to_world, out):
	var world = to_world
	if node is Spatial:
		world = to_world * node.transform
	var path = parent_path + "/" + node.name if parent_path != "" else node.name
	var item = {"path": path, "type": node.get_class()}
	if node is MeshInstance and node.mesh:
		var arrays = node.mesh.surface_get_arrays(0)
		item["triangles"] = arrays[Mesh.ARRAY_INDEX].size() / 3
		item["has_normals"] = arrays[Mesh.ARRAY_NORMAL] != null and arrays[Mesh.ARRAY_NORMAL].size() > 0
		item["has_uvs"] = arrays[Mesh.ARRAY_TEX_UV] != null and arrays[Mesh.ARRAY_TEX_UV].size() > 0
		var lo = Vector3(INF, INF, INF)
		var hi = -lo
		for p in _corners(node.get_aabb()):
			var q = world.xform(p)
			lo = Vector3(min(lo.x, q.x), min(lo.y, q.y), min(lo.z, q.z))
			hi = Vector3(max(hi.x, q.x), max(hi.y, q.y), max(hi.z, q.z))
		item["min"] = [lo.x, lo.y, lo.z]
		item["max"] = [hi.x, hi.y, hi.z]
		var surfaces = []
		for k in range(node.mesh.get_surface_count()):
			var surface_material = node.mesh.surface_get_material(k)
			surfaces.append({"triangles": node.mesh.surface_get_arrays(k)[Mesh.ARRAY_INDEX].size() / 3,
				"metallic": surface_material.metallic if surface_material is SpatialMaterial else null})
		item["surfaces"] = surfaces
		var mat = node.mesh.surface_get_material(0)
		if mat is SpatialMaterial:
			item["metallic"] = mat.metallic
			item["ao"] = mat.ao_enabled and mat.ao_texture != null
			item["ao_size"] = mat.ao_texture.get_width() if mat.ao_texture else 0
			item["albedo_size"] = mat.albedo_texture.get_width() if mat.albedo_texture else 0
	if node is Spatial and not node is MeshInstance and node.get_child_count() == 0:
		# an empty leaf (--seats anchor): world origin and where its +Z (glTF's forward) points
		item["origin"] = [world.origin.x, world.origin.y, world.origin.z]
		var forward = world.basis.xform(Vector3(0, 0, 1))
		item["forward"] = [forward.x, forward.y, forward.z]
	if node is CollisionShape and node.shape:
		item["shape"] = node.shape.get_class()
		if node.shape is ConvexPolygonShape:
			item["points"] = node.shape.points.size()
	out.append(item)
	for child in node.get_children():
		_walk(child, path, world, out)


func _init():
	# every GLB at the top of the project, by file name
	var files = {}
	var dir = Directory.new()
	dir.open("res://")
	dir.list_dir_begin(true, true)
	var name = dir.get_next()
	while name != "":
		if name.ends_with(".glb"):
			var scene = load("res://" + name)
			if scene == null:
				print("GODOT_JSON " + to_json({"error": "res://" + name + " did not load (was it imported?)"}))
				quit(1)
				return
			var root = scene.instance()
			var nodes = []
			_walk(root, "", Transform.IDENTITY, nodes)
			files[name] = nodes
			root.free()
		name = dir.get_next()
	print("GODOT_JSON " + to_json({"version": Engine.get_version_info()["string"], "files": files}))
	quit(0)
