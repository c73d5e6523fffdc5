# Draw res://set.glb in Godot as a game would (a sun with shadows, a floor, a camera framed for the
# grid of `generate --n 50`) and save res://godot_shot.png. Run by scripts/godot_project.py.
extends SceneTree

var frames = 0

func _init():
	var scene = load("res://set.glb").instance()
	root.add_child(scene)
	var cam = Camera.new()
	root.add_child(cam)
	cam.look_at_from_position(Vector3(3.2, 2.2, 6.0), Vector3(0.3, 0.2, 0.8), Vector3.UP)
	cam.fov = 50
	var sun = DirectionalLight.new()
	sun.rotation_degrees = Vector3(-50, 30, 0)
	sun.shadow_enabled = true
	sun.light_energy = 0.75
	root.add_child(sun)
	var env = Environment.new()
	env.background_mode = Environment.BG_COLOR
	env.background_color = Color(0.78, 0.8, 0.84)
	env.ambient_light_color = Color(0.3, 0.3, 0.33)
	var floor_mesh = MeshInstance.new()
	var plane = PlaneMesh.new()
	plane.size = Vector2(40, 40)
	floor_mesh.mesh = plane
	var fm = SpatialMaterial.new()
	fm.albedo_color = Color(0.55, 0.53, 0.5)
	floor_mesh.material_override = fm
	root.add_child(floor_mesh)
	var we = WorldEnvironment.new()
	we.environment = env
	root.add_child(we)

func _idle(delta):
	frames += 1
	if frames == 5:
		var img = root.get_texture().get_data()
		img.flip_y()
		img.save_png("res://godot_shot.png")
		print("SAVED")
		quit(0)
	return false
